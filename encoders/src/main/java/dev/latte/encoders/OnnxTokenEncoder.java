package dev.latte.encoders;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import dev.latte.core.TokenMatrix;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A token encoder on Deep Java Library: HuggingFace tokenizer + ONNX Runtime, loaded from a model
 * folder ({@code model.onnx}, {@code tokenizer.json}, {@code latte-model.json}; see {@link
 * ModelConfig}). Everything that can be wrong with the folder is checked at load time, including a
 * probe inference that verifies the named output and its width.
 *
 * <p>Thread-safe: concurrent callers take a predictor from a small pool over one ONNX session.
 */
public final class OnnxTokenEncoder implements TokenEncoder {
  private static final System.Logger LOG = System.getLogger(OnnxTokenEncoder.class.getName());
  private static final Set<String> KNOWN_INPUTS =
      Set.of("input_ids", "attention_mask", "token_type_ids");

  private final Path folder;
  private final ModelConfig config;
  private final HuggingFaceTokenizer queryTokenizer;
  private final HuggingFaceTokenizer documentTokenizer;
  // Whole documents, for passages (no truncation: the passage policy decides what is kept).
  private final HuggingFaceTokenizer fullTokenizer;
  private final ZooModel<NDList, NDList> model;
  private final BlockingQueue<Predictor<NDList, NDList>> predictors;
  private final List<Predictor<NDList, NDList>> allPredictors = new ArrayList<>();
  private final Set<String> inputs;
  private final java.util.Map<String, Long> vocabulary;
  private final long queryMarkerId;
  private final long documentMarkerId;
  private final long maskId;
  private final String fingerprint;

  private OnnxTokenEncoder(Path folder, ModelConfig config, int sessions, int intraOpThreads) {
    this.folder = folder;
    this.config = config;
    Path modelFile = requireFile(folder, config.modelFile(), "the ONNX export of the model");
    Path tokenizerFile =
        requireFile(folder, config.tokenizerFile(), "the HuggingFace tokenizer.json of the model");
    try {
      this.queryTokenizer =
          tokenizer(
              tokenizerFile, config.queryMaxLength() - (config.queryMarker() == null ? 0 : 1));
      this.documentTokenizer =
          tokenizer(
              tokenizerFile,
              config.documentMaxLength() - (config.documentMarker() == null ? 0 : 1));
      this.fullTokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(tokenizerFile)
              .optTruncation(false)
              .optPadding(false)
              .optAddSpecialTokens(true)
              .build();
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(
          "cannot read tokenizer " + tokenizerFile + ": " + e.getMessage(), e);
    }
    this.vocabulary = Vocabulary.read(tokenizerFile);
    this.queryMarkerId =
        config.queryMarker() == null ? -1 : singleTokenId(config.queryMarker(), "query_marker");
    this.documentMarkerId =
        config.documentMarker() == null
            ? -1
            : singleTokenId(config.documentMarker(), "document_marker");
    this.maskId = config.queryAugmentation() ? singleTokenId(config.maskToken(), "mask_token") : -1;
    try {
      Criteria<NDList, NDList> criteria =
          Criteria.builder()
              .setTypes(NDList.class, NDList.class)
              .optEngine("OnnxRuntime")
              .optModelPath(modelFile)
              .optTranslator(new NoopTranslator())
              .optOption("intraOpNumThreads", Integer.toString(intraOpThreads))
              .optOption("interOpNumThreads", "1")
              .build();
      this.model = criteria.loadModel();
    } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
      throw new ModelLoadException(
          "cannot load ONNX model "
              + modelFile
              + ": "
              + e.getMessage()
              + " (is it an ONNX export of a transformer encoder?)",
          e);
    }
    try {
      this.inputs = new TreeSet<>(model.describeInput().keys());
      if (!inputs.contains("input_ids") || !KNOWN_INPUTS.containsAll(inputs)) {
        throw new ModelLoadException(
            "ONNX model "
                + modelFile
                + " takes inputs "
                + inputs
                + "; Latte feeds input_ids and, when declared,"
                + " attention_mask and token_type_ids. Re-export the encoder with these input names.");
      }
      this.predictors = new ArrayBlockingQueue<>(sessions);
      for (int i = 0; i < sessions; i++) {
        Predictor<NDList, NDList> p = model.newPredictor();
        allPredictors.add(p);
        predictors.add(p);
      }
      probe(modelFile);
      this.fingerprint = fingerprint(folder, config, modelFile, tokenizerFile);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Loads a model folder. {@code sessions} predictors serve concurrent callers; each ONNX run uses
   * {@code intraOpThreads} threads.
   */
  public static OnnxTokenEncoder load(Path folder, int sessions, int intraOpThreads) {
    if (!Files.isDirectory(folder)) {
      throw new ModelLoadException(
          "model folder not found: "
              + folder
              + " (give a folder with model.onnx, tokenizer.json and latte-model.json, or 'default' for the bundled model)");
    }
    ModelConfig config = ModelConfig.read(folder);
    return new OnnxTokenEncoder(
        folder.toAbsolutePath().normalize(),
        config,
        Math.max(1, sessions),
        Math.max(1, intraOpThreads));
  }

  public static OnnxTokenEncoder load(Path folder) {
    int cores = Runtime.getRuntime().availableProcessors();
    return load(folder, 1, cores);
  }

  public Path folder() {
    return folder;
  }

  @Override
  public ModelConfig config() {
    return config;
  }

  @Override
  public String fingerprint() {
    return fingerprint;
  }

  @Override
  public EncodedText encodeQuery(String query) {
    if (query == null) throw new IllegalArgumentException("query text must not be null");
    String text = config.queryPrefix() + query;
    Tokenized t = Tokenized.of(queryTokenizer.encode(text, true, false), queryMarkerId);
    if (config.queryAugmentation()) {
      t = t.padWithMask(config.queryMaxLength(), maskId, config.attendToMaskTokens());
    }
    float[] out = run(List.of(t), t.length());
    // Queries keep every encoded position: specials, marker and [MASK] augmentation rows.
    boolean[] keep = new boolean[t.length()];
    java.util.Arrays.fill(keep, true);
    return annotate(out, 0, t.length(), t, keep, config.queryPrefix().length());
  }

  @Override
  public List<EncodedText> encodeDocuments(List<String> documents) {
    if (documents.isEmpty()) return List.of();
    List<Tokenized> batch = new ArrayList<>(documents.size());
    int maxLen = 0;
    for (String d : documents) {
      if (d == null) throw new IllegalArgumentException("document text must not be null");
      Tokenized t =
          Tokenized.of(
              documentTokenizer.encode(config.documentPrefix() + d, true, false), documentMarkerId);
      batch.add(t);
      maxLen = Math.max(maxLen, t.length());
    }
    float[] out = run(batch, maxLen);
    List<EncodedText> result = new ArrayList<>(batch.size());
    for (int b = 0; b < batch.size(); b++) {
      Tokenized t = batch.get(b);
      boolean[] keep = new boolean[t.length()];
      for (int i = 0; i < t.length(); i++) {
        boolean special = t.special()[i];
        keep[i] =
            (config.keepSpecialTokens() || !special)
                && !(config.skipPunctuation() && !special && isPunctuation(t.tokens()[i]));
      }
      result.add(annotate(out, b * maxLen, t.length(), t, keep, config.documentPrefix().length()));
    }
    return result;
  }

  @Override
  public List<EncodedPassages> encodePassages(List<String> documents, PassagePolicy policy) {
    return new PassageEncoding(this, policy).encode(documents);
  }

  /** A whole document tokenised (no truncation) with the marker inserted. */
  Tokenized tokenizeWhole(String document) {
    if (document == null) throw new IllegalArgumentException("document text must not be null");
    return Tokenized.of(
        fullTokenizer.encode(config.documentPrefix() + document, true, false), documentMarkerId);
  }

  /** Whether a document's row {@code i} is kept (ColBERT's skiplist, special tokens). */
  boolean keepDocumentRow(Tokenized t, int i) {
    boolean special = t.special()[i];
    return (config.keepSpecialTokens() || !special)
        && !(config.skipPunctuation() && !special && isPunctuation(t.tokens()[i]));
  }

  EncodedText annotate(
      float[] out, int rowOffset, int length, Tokenized t, boolean[] keep, int prefixChars) {
    int dim = config.dimension();
    int kept = 0;
    for (boolean k : keep) if (k) kept++;
    float[] data = new float[kept * dim];
    String[] tokens = new String[kept];
    int[] starts = new int[kept];
    int[] ends = new int[kept];
    int w = 0;
    for (int i = 0; i < length; i++) {
      if (!keep[i]) continue;
      System.arraycopy(out, (rowOffset + i) * dim, data, w * dim, dim);
      tokens[w] = t.tokens()[i];
      starts[w] = t.start()[i] < 0 ? -1 : Math.max(-1, t.start()[i] - prefixChars);
      ends[w] = t.end()[i] < 0 ? -1 : Math.max(-1, t.end()[i] - prefixChars);
      if (starts[w] < 0 || ends[w] <= 0) {
        starts[w] = -1;
        ends[w] = -1;
      }
      w++;
    }
    if (config.normalize()) TokenMatrix.normalizeRows(data, kept, dim);
    return new EncodedText(new TokenMatrix(data, kept, dim), tokens, starts, ends);
  }

  /** Runs the ONNX model on a padded batch and returns [batch, maxLen, dim] row-major floats. */
  float[] run(List<Tokenized> batch, int maxLen) {
    int n = batch.size();
    long[] ids = new long[n * maxLen];
    long[] mask = new long[n * maxLen];
    long[] types = new long[n * maxLen];
    for (int b = 0; b < n; b++) {
      Tokenized t = batch.get(b);
      System.arraycopy(t.ids(), 0, ids, b * maxLen, t.length());
      System.arraycopy(t.attention(), 0, mask, b * maxLen, t.length());
      System.arraycopy(t.types(), 0, types, b * maxLen, t.length());
    }
    Predictor<NDList, NDList> predictor;
    try {
      predictor = predictors.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for an encoder session", e);
    }
    try (NDManager manager = model.getNDManager().newSubManager()) {
      Shape shape = new Shape(n, maxLen);
      NDList input = new NDList();
      input.add(named(manager.create(ids, shape), "input_ids"));
      if (inputs.contains("attention_mask"))
        input.add(named(manager.create(mask, shape), "attention_mask"));
      if (inputs.contains("token_type_ids"))
        input.add(named(manager.create(types, shape), "token_type_ids"));
      NDList output = predictor.predict(input);
      NDArray hidden = output.get(config.output());
      if (hidden == null) {
        List<String> names = new ArrayList<>();
        for (NDArray a : output) names.add(a.getName());
        throw new ModelLoadException(
            "ONNX model has no output named \""
                + config.output()
                + "\"; it has "
                + names
                + ". Set \"output\" in "
                + ModelConfig.FILE_NAME
                + " to the per-token output.");
      }
      Shape s = hidden.getShape();
      if (s.dimension() != 3
          || s.get(0) != n
          || s.get(1) != maxLen
          || s.get(2) != config.dimension()) {
        throw new ModelLoadException(
            "ONNX output \""
                + config.output()
                + "\" has shape "
                + s
                + ", expected ["
                + n
                + ", "
                + maxLen
                + ", "
                + config.dimension()
                + "] = [batch, tokens, dimension]. Check \"dimension\" and \"output\" in "
                + ModelConfig.FILE_NAME
                + ".");
      }
      return hidden.toFloatArray();
    } catch (TranslateException e) {
      throw new EncoderException("ONNX inference failed: " + e.getMessage(), e);
    } finally {
      predictors.add(predictor);
    }
  }

  private static NDArray named(NDArray a, String name) {
    a.setName(name);
    return a;
  }

  private void probe(Path modelFile) {
    try {
      encodeDocuments(List.of("Latte checks the model output."));
    } catch (ModelLoadException e) {
      throw new ModelLoadException(modelFile + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new ModelLoadException(
          "probe inference on " + modelFile + " failed: " + e.getMessage(), e);
    }
  }

  private static HuggingFaceTokenizer tokenizer(Path file, int maxLength) throws IOException {
    return HuggingFaceTokenizer.builder()
        .optTokenizerPath(file)
        .optMaxLength(maxLength)
        .optTruncation(true)
        .optPadding(false)
        .optAddSpecialTokens(true)
        .build();
  }

  private long singleTokenId(String token, String setting) {
    Long id = vocabulary.get(token);
    if (id != null) return id;
    long[] ids = queryTokenizer.encode(token, false, false).getIds();
    if (ids.length != 1) {
      throw new ModelLoadException(
          "\""
              + setting
              + "\": \""
              + token
              + "\" is "
              + ids.length
              + " tokens in "
              + config.tokenizerFile()
              + ", expected exactly one vocabulary token (e.g. [unused0], [Q], [MASK])");
    }
    return ids[0];
  }

  /** ColBERT's skiplist: a token made only of punctuation or symbols (WordPiece "##" ignored). */
  static boolean isPunctuation(String token) {
    String s = token.startsWith("##") ? token.substring(2) : token;
    if (s.isEmpty()) return false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int type = Character.getType(cp);
      boolean punct =
          switch (type) {
            case Character.CONNECTOR_PUNCTUATION,
                Character.DASH_PUNCTUATION,
                Character.START_PUNCTUATION,
                Character.END_PUNCTUATION,
                Character.INITIAL_QUOTE_PUNCTUATION,
                Character.FINAL_QUOTE_PUNCTUATION,
                Character.OTHER_PUNCTUATION,
                Character.MATH_SYMBOL,
                Character.CURRENCY_SYMBOL,
                Character.MODIFIER_SYMBOL ->
                true;
            default -> false;
          };
      if (!punct) return false;
      i += Character.charCount(cp);
    }
    return true;
  }

  private static Path requireFile(Path folder, String name, String what) {
    Path p = folder.resolve(name);
    if (!Files.isRegularFile(p)) {
      throw new ModelLoadException(
          "model folder " + folder + " has no " + name + " (" + what + ")");
    }
    return p;
  }

  private static String fingerprint(Path folder, ModelConfig config, Path... files) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(config.toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      byte[] buf = new byte[1 << 16];
      for (Path f : files) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), md)) {
          while (in.read(buf) != -1) {}
        }
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    } catch (IOException e) {
      throw new ModelLoadException(
          "cannot read model files in " + folder + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    for (Predictor<NDList, NDList> p : allPredictors) p.close();
    if (model != null) model.close();
    if (queryTokenizer != null) queryTokenizer.close();
    if (documentTokenizer != null) documentTokenizer.close();
    if (fullTokenizer != null) fullTokenizer.close();
  }
}
