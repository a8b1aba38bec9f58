package dev.latte.searcher.firststage.slim;

import dev.latte.core.TokenMatrix;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.NpyMatrix;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.Deriver;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageFormat;
import dev.latte.indexer.firststage.MatrixFile;
import dev.latte.indexer.firststage.SourceDocuments;
import dev.latte.indexer.firststage.SphericalKMeans;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.codecs.CodecUtil;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.FeatureField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.ByteArrayDataOutput;
import org.apache.lucene.store.ChecksumIndexInput;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.IOContext;
import org.apache.lucene.store.IndexOutput;
import org.apache.lucene.util.BytesRef;

/**
 * SLIM's sparse token representations in an ordinary Lucene impact index.
 *
 * <p><b>Projection (training-free).</b> The bundled models have no SLIM head, and their input
 * embedding table lives in another space than their last layer. Latte instead projects onto a
 * <em>contextual vocabulary table</em> derived from the index itself: row v is the normalised mean
 * of every stored contextual vector of vocabulary token v (a word piece seen in the corpus). A
 * token vector x maps to the sparse vector ReLU(E x) restricted to its {@link Params#topK} largest
 * entries. For a token whose own word piece is in the table, the entries are searched among the
 * {@link Params#neighbours} table rows nearest to that word piece's row (cheap, and the top entries
 * lie there in practice); other tokens (query words unseen in the corpus) are scored against the
 * whole table.
 *
 * <p><b>Lucene layout.</b> Field {@value #FEATURES}: per document the max-pool over its tokens of
 * their sparse vectors, as {@link FeatureField}s (term = word piece, impact = weight), so stage 1
 * is a plain impact-scored disjunction (block-max WAND/MaxScore). Since weights are non-negative,
 * (Σ_i q_i) · maxpool_j(d_j) bounds the sparse late interaction Σ_i max_j q_i · d_j from above.
 * Field {@value #TOKENS} (binary doc values): every token's sparse vector (vInt count, then vInt
 * vocabulary id and the weight as a float16), for stage 2 refinement. The table, its word pieces
 * and the neighbour lists are files of the derived folder.
 */
public final class SlimBuilder implements FirstStageBuilder {
  public static final String NAME = "slim";

  /** Bump on any change of this stage\'s file layout: structures in another version are rebuilt. */
  public static final FirstStageFormat FORMAT = new FirstStageFormat(NAME, 2);

  public static final String FEATURES = "slim";
  public static final String TOKENS = "slim_tokens";
  public static final String TABLE_FILE = "latte_slim_table.bin";
  public static final String TABLE_CODEC = "LatteSlimTable";
  public static final String VOCAB_FILE = "latte_slim_vocab.bin";
  static final String VOCAB_CODEC = "LatteSlimVocab";

  public record Params(int topK, int neighbours) {
    public static final Params DEFAULT = new Params(20, 64);
  }

  /** Where a trained SLIM head lives inside a model folder. */
  public static final String HEAD_DIR = "slim";

  private final Params params;
  private final Path modelFolder;

  public SlimBuilder() {
    this(Params.DEFAULT, null);
  }

  public SlimBuilder(Params params) {
    this(params, null);
  }

  /**
   * @param modelFolder the model's folder; when it holds {@code slim/projection.npy} (float32,
   *     vocabulary x dimension: the trained head's weight W of ReLU(W x)) and {@code
   *     slim/vocab.txt} (one word piece per row, in order), that head is used instead of the
   *     training-free table
   */
  public SlimBuilder(Params params, Path modelFolder) {
    this.params = params;
    this.modelFolder = modelFolder;
  }

  /** The trained head in {@code modelFolder}, or null when it has none. */
  public static Vocabulary trainedHead(Path modelFolder, int dim, int topK) throws IOException {
    if (modelFolder == null) return null;
    Path w = modelFolder.resolve(HEAD_DIR).resolve("projection.npy");
    Path v = modelFolder.resolve(HEAD_DIR).resolve("vocab.txt");
    if (!java.nio.file.Files.exists(w)) return null;
    if (!java.nio.file.Files.exists(v))
      throw new IOException(w + " has no " + v.getFileName() + " beside it naming its rows");
    TokenMatrix table = NpyMatrix.read(w);
    List<String> terms =
        java.nio.file.Files.readAllLines(v, java.nio.charset.StandardCharsets.UTF_8);
    if (!terms.isEmpty() && terms.getLast().isEmpty()) terms = terms.subList(0, terms.size() - 1);
    if (table.dim() != dim)
      throw new IOException(
          w + " projects " + table.dim() + "-d vectors; the index holds " + dim + "-d");
    if (terms.size() != table.rows())
      throw new IOException(v + " names " + terms.size() + " rows; " + w + " has " + table.rows());
    return new Vocabulary(table, terms.toArray(String[]::new), null, topK, true);
  }

  @Override
  public FirstStageFormat format() {
    return FORMAT;
  }

  @Override
  public boolean needsAnnotations() {
    return true;
  }

  /** The table, its word pieces and each row's nearest rows (itself included). */
  public record Vocabulary(
      TokenMatrix table, String[] terms, int[][] neighbours, int topK, boolean trained) {
    public Map<String, Integer> ids() {
      Map<String, Integer> m = new HashMap<>();
      for (int i = 0; i < terms.length; i++) m.put(terms[i], i);
      return m;
    }
  }

  /** A sparse vector: vocabulary ids (ascending) and weights. */
  public record Sparse(int[] ids, float[] weights) {}

  @Override
  public void train(Directory dir, DirectoryReader main, IndexMetadata metadata)
      throws IOException {
    int dim = metadata.dimension();
    Vocabulary head = trainedHead(modelFolder, dim, params.topK());
    if (head == null) head = contextualTable(main, dim);
    MatrixFile.write(dir, TABLE_FILE, TABLE_CODEC, head.table());
    writeVocab(dir, head);
  }

  /** The training-free table: per word piece, the normalised mean of its stored vectors. */
  private Vocabulary contextualTable(DirectoryReader main, int dim) throws IOException {
    Map<String, Integer> ids = new HashMap<>();
    List<String> terms = new ArrayList<>();
    List<double[]> sums = new ArrayList<>();
    SourceDocuments.forEach(
        main,
        dim,
        true,
        (doc, m, a) -> {
          for (int j = 0; j < m.rows(); j++) {
            Integer id = ids.get(a.tokens()[j]);
            if (id == null) {
              id = terms.size();
              ids.put(a.tokens()[j], id);
              terms.add(a.tokens()[j]);
              sums.add(new double[dim]);
            }
            double[] s = sums.get(id);
            for (int d = 0; d < dim; d++) s[d] += m.data()[j * dim + d];
          }
        });
    int v = terms.size();
    float[] table = new float[v * dim];
    for (int i = 0; i < v; i++) {
      double[] s = sums.get(i);
      double norm = 0;
      for (double x : s) norm += x * x;
      norm = Math.sqrt(norm);
      for (int d = 0; d < dim; d++) table[i * dim + d] = norm == 0 ? 0f : (float) (s[d] / norm);
    }
    return new Vocabulary(
        new TokenMatrix(table, v, dim),
        terms.toArray(String[]::new),
        neighbours(table, v, dim, Math.min(params.neighbours(), v)),
        params.topK(),
        false);
  }

  @Override
  public Deriver deriver(Directory dir, IndexMetadata metadata) throws IOException {
    Vocabulary vocab = readVocabulary(dir);
    int dim = vocab.table().dim();
    if (dim != metadata.dimension())
      throw new dev.latte.indexer.IndexMismatchException(
          "the SLIM table holds " + dim + "-d rows, the index " + metadata.dimension() + "-d");
    int v = vocab.terms().length;
    Map<String, Integer> ids = vocab.ids();
    // Rows without a table row of their own (all rows, for a trained head) are scored against the
    // whole table, many rows per kernel call.
    float[] tableT = SphericalKMeans.transpose(vocab.table().data(), v, dim);
    VectorKernel kernel = VectorKernel.get();
    return new Deriver() {
      @Override
      public boolean needsAnnotations() {
        return !vocab.trained();
      }

      @Override
      public List<Document> derive(List<TokenMatrix> mats, List<TokenAnnotations> anns) {
        List<Document> out = new ArrayList<>(mats.size());
        for (int i = 0; i < mats.size(); i++) {
          TokenMatrix m = mats.get(i);
          TokenAnnotations a = anns.get(i);
          Document d = new Document();
          float[] pooled = new float[v];
          Sparse[] sparse = new Sparse[m.rows()];
          int[] unknown = new int[m.rows()];
          int u = 0;
          for (int j = 0; j < m.rows(); j++) {
            Integer own = vocab.trained() ? null : ids.get(a.tokens()[j]);
            if (own == null) unknown[u++] = j;
            else sparse[j] = sparse(vocab, m.data(), j * dim, own, vocab.topK(), null);
          }
          fullScan(vocab, m, unknown, u, kernel, tableT, sparse);
          List<Sparse> rows = new ArrayList<>(m.rows());
          for (Sparse s : sparse) {
            rows.add(s);
            for (int e = 0; e < s.ids().length; e++)
              pooled[s.ids()[e]] = Math.max(pooled[s.ids()[e]], s.weights()[e]);
          }
          for (int t = 0; t < v; t++) {
            // FeatureField keeps 9 significant bits; weights below 2^-10 add nothing useful.
            if (pooled[t] >= 1e-3f) d.add(new FeatureField(FEATURES, vocab.terms()[t], pooled[t]));
          }
          d.add(new BinaryDocValuesField(TOKENS, new BytesRef(encodeTokens(rows))));
          out.add(d);
        }
        return out;
      }
    };
  }

  /**
   * Sparse vectors of rows {@code which[0, n)} of {@code m} against every table row, through the
   * kernel in blocks of rows (one matrix product per block), into {@code out}.
   */
  static void fullScan(
      Vocabulary vocab,
      TokenMatrix m,
      int[] which,
      int n,
      VectorKernel kernel,
      float[] tableT,
      Sparse[] out) {
    int v = vocab.terms().length;
    int dim = m.dim();
    int block = Math.max(1, Math.min(64, (1 << 22) / Math.max(1, v)));
    float[] rows = new float[block * dim];
    float[] scores = new float[block * v];
    for (int from = 0; from < n; from += block) {
      int b = Math.min(block, n - from);
      for (int i = 0; i < b; i++)
        System.arraycopy(m.data(), which[from + i] * dim, rows, i * dim, dim);
      kernel.dotMatrix(rows, 0, b, tableT, v, dim, scores);
      for (int i = 0; i < b; i++) out[which[from + i]] = fromScores(scores, i * v, v, vocab.topK());
    }
  }

  /** ReLU and top {@code topK} of {@code scores[off, off + v)}, as a sparse vector by id. */
  private static Sparse fromScores(float[] scores, int off, int v, int topK) {
    float[] row =
        off == 0 && scores.length == v ? scores : Arrays.copyOfRange(scores, off, off + v);
    int[] top = topIndices(row, v, topK);
    int n = 0;
    while (n < top.length && row[top[n]] > 0) n++;
    int[] ids = Arrays.copyOf(top, n);
    Arrays.sort(ids);
    float[] w = new float[n];
    for (int i = 0; i < n; i++) w[i] = row[ids[i]];
    return new Sparse(ids, w);
  }

  /** Sparse vector against every table row (a trained head), scores through the kernel. */
  public static Sparse sparseFullScan(
      Vocabulary vocab, float[] data, int offset, VectorKernel kernel, float[] tableT) {
    int v = vocab.terms().length;
    int dim = vocab.table().dim();
    float[] scores = new float[v];
    kernel.dotMatrix(data, offset, 1, tableT, v, dim, scores);
    int[] top = topIndices(scores, v, vocab.topK());
    int n = 0;
    while (n < top.length && scores[top[n]] > 0) n++;
    int[] ids = java.util.Arrays.copyOf(top, n);
    java.util.Arrays.sort(ids);
    float[] w = new float[n];
    for (int i = 0; i < n; i++) w[i] = scores[ids[i]];
    return new Sparse(ids, w);
  }

  /**
   * The sparse vector of {@code x = data[offset, offset + dim)}: ReLU of its dot products with the
   * table rows, top {@code topK}, searched among the neighbours of {@code ownId} when it is known,
   * else over the whole table (with {@code fullScan}, a kernel, when given).
   */
  public static Sparse sparse(
      Vocabulary vocab, float[] data, int offset, Integer ownId, int topK, VectorKernel fullScan) {
    TokenMatrix t = vocab.table();
    int dim = t.dim();
    int[] cand;
    float[] score;
    if (ownId != null) {
      cand = vocab.neighbours()[ownId];
      score = new float[cand.length];
      for (int c = 0; c < cand.length; c++) {
        float acc = 0;
        int o = cand[c] * dim;
        for (int d = 0; d < dim; d++) acc += data[offset + d] * t.data()[o + d];
        score[c] = acc;
      }
    } else {
      cand = new int[t.rows()];
      for (int c = 0; c < cand.length; c++) cand[c] = c;
      score = new float[t.rows()];
      for (int c = 0; c < cand.length; c++) {
        float acc = 0;
        int o = c * dim;
        for (int d = 0; d < dim; d++) acc += data[offset + d] * t.data()[o + d];
        score[c] = acc;
      }
    }
    int[] top = topIndices(score, score.length, topK);
    int n = 0;
    while (n < top.length && score[top[n]] > 0) n++;
    int[] byId = java.util.Arrays.copyOf(top, n);
    for (int i = 0; i < n; i++) byId[i] = top[i];
    // ascending vocabulary id, for the stored layout
    long[] keyed = new long[n];
    for (int i = 0; i < n; i++) keyed[i] = ((long) cand[byId[i]] << 32) | byId[i];
    java.util.Arrays.sort(keyed);
    int[] ids = new int[n];
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      int c = (int) keyed[i];
      ids[i] = cand[c];
      w[i] = score[c];
    }
    return new Sparse(ids, w);
  }

  private static int[][] neighbours(float[] table, int v, int dim, int nb) {
    VectorKernel kernel = VectorKernel.get();
    float[] tt = SphericalKMeans.transpose(table, v, dim);
    int[][] out = new int[v][];
    int block = 64;
    float[] sims = new float[block * v];
    for (int from = 0; from < v; from += block) {
      int rows = Math.min(block, v - from);
      kernel.dotMatrix(table, from * dim, rows, tt, v, dim, sims);
      for (int i = 0; i < rows; i++) {
        float[] row = java.util.Arrays.copyOfRange(sims, i * v, (i + 1) * v);
        out[from + i] = topIndices(row, v, nb);
      }
    }
    return out;
  }

  /** Indices of the k largest of {@code v[0, n)}, largest first (ties: smaller index first). */
  public static int[] topIndices(float[] v, int n, int k) {
    k = Math.min(k, n);
    int[] idx = new int[k];
    float[] val = new float[k];
    int size = 0;
    for (int j = 0; j < n; j++) {
      float x = v[j];
      if (size == k && !(x > val[k - 1])) continue;
      int at = size < k ? size++ : k - 1;
      while (at > 0 && val[at - 1] < x) {
        val[at] = val[at - 1];
        idx[at] = idx[at - 1];
        at--;
      }
      val[at] = x;
      idx[at] = j;
    }
    return idx;
  }

  static byte[] encodeTokens(List<Sparse> rows) {
    int bound = 5;
    for (Sparse s : rows) bound += 5 + s.ids().length * 6;
    byte[] buf = new byte[bound];
    ByteArrayDataOutput out = new ByteArrayDataOutput(buf);
    try {
      out.writeVInt(rows.size());
      for (Sparse s : rows) {
        out.writeVInt(s.ids().length);
        for (int e = 0; e < s.ids().length; e++) {
          out.writeVInt(s.ids()[e]);
          out.writeShort(Float.floatToFloat16(s.weights()[e]));
        }
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return java.util.Arrays.copyOf(buf, out.getPosition());
  }

  /** Token sparse vectors of one document as stored in {@value #TOKENS}. */
  public static List<Sparse> decodeTokens(BytesRef value) {
    ByteArrayDataInput in = new ByteArrayDataInput(value.bytes, value.offset, value.length);
    int rows = in.readVInt();
    List<Sparse> out = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      int n = in.readVInt();
      int[] ids = new int[n];
      float[] w = new float[n];
      for (int e = 0; e < n; e++) {
        ids[e] = in.readVInt();
        w[e] = Float.float16ToFloat(in.readShort());
      }
      out.add(new Sparse(ids, w));
    }
    return out;
  }

  static void writeVocab(Directory dir, Vocabulary v) throws IOException {
    try (IndexOutput out = dir.createOutput(VOCAB_FILE, IOContext.DEFAULT)) {
      CodecUtil.writeHeader(out, VOCAB_CODEC, 0);
      out.writeVInt(v.terms().length);
      for (String t : v.terms()) out.writeString(t);
      out.writeVInt(v.topK());
      out.writeByte((byte) (v.trained() ? 1 : 0));
      int nb = v.neighbours() == null || v.terms().length == 0 ? 0 : v.neighbours()[0].length;
      out.writeVInt(nb);
      if (nb > 0) for (int[] n : v.neighbours()) for (int x : n) out.writeVInt(x);
      CodecUtil.writeFooter(out);
    }
  }

  public static Vocabulary readVocabulary(Directory dir) throws IOException {
    TokenMatrix table = MatrixFile.read(dir, TABLE_FILE, TABLE_CODEC);
    try (ChecksumIndexInput in = dir.openChecksumInput(VOCAB_FILE)) {
      CodecUtil.checkHeader(in, VOCAB_CODEC, 0, 0);
      int v = in.readVInt();
      String[] terms = new String[v];
      for (int i = 0; i < v; i++) terms[i] = in.readString();
      int topK = in.readVInt();
      boolean trained = in.readByte() == 1;
      int nb = in.readVInt();
      int[][] n = nb == 0 ? null : new int[v][nb];
      if (n != null)
        for (int i = 0; i < v; i++) for (int j = 0; j < nb; j++) n[i][j] = in.readVInt();
      CodecUtil.checkFooter(in);
      if (table.rows() != v)
        throw new IOException("SLIM table has " + table.rows() + " rows for " + v + " word pieces");
      return new Vocabulary(table, terms, n, topK, trained);
    }
  }
}
