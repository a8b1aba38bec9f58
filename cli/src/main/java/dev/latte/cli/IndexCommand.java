package dev.latte.cli;

import dev.latte.core.codec.TokenCodec;
import dev.latte.datasets.Document;
import dev.latte.datasets.corpus.Corpus;
import dev.latte.datasets.corpus.FieldMapping;
import dev.latte.datasets.corpus.SourceRecord;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.encoders.PassagePolicy;
import dev.latte.indexer.EncodingPipeline;
import dev.latte.indexer.IndexJob;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "index",
    mixinStandardHelpOptions = true,
    description = {
      "Encode a collection (or take its precomputed token vectors) and write it into a Lucene"
          + " index, as a resumable job: it commits every --commit-every records, and a job"
          + " killed at any moment continues after its last commit when the same command runs"
          + " again.",
      "Formats (by extension, or --format): BEIR folder, .jsonl, .json (array), .tsv"
          + " (id<TAB>text, or with a header), .csv (header, RFC 4180), .trec/.sgml (TREC"
          + " <DOC>), a folder of .txt/.md/.html (one document per file, id = relative path),"
          + " .npy token vectors (with --ids); each also .gz or .zst. JSONL/JSON records with a"
          + " \"vectors\" field ([[float]] per document) are indexed as they are, with no model."
    })
final class IndexCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--input",
      description =
          "A file, a folder or a glob ('shards/*.jsonl.gz'); may be left out with --first-stage"
              + " to add first stages to an existing index.")
  String input;

  @Option(
      names = "--format",
      description = "Read every input file as: jsonl, json, tsv, csv, trec, text, npy.")
  String format;

  @Option(names = "--id-field", description = "Id field of JSON/CSV records (default: _id or id).")
  String idField;

  @Option(names = "--title-field", description = "Title field (default: title).")
  String titleField;

  @Option(
      names = "--text-field",
      split = ",",
      description = "Text field(s), joined by a blank line (default: text).")
  List<String> textFields;

  @Option(
      names = "--metadata-fields",
      split = ",",
      description =
          "Fields kept as filterable metadata, or '*' for all the others (default: JSON's"
              + " \"metadata\" object; for CSV/TSV with a header, every other column).")
  List<String> metadataFields;

  @Option(
      names = "--vectors-field",
      description = "Field of precomputed token vectors, [[float]] (default: vectors).")
  String vectorsField;

  @Option(
      names = "--ids",
      description = ".npy input: the ids file, one per line (default: ids.txt beside it).")
  Path ids;

  @Option(
      names = "--doclens",
      description =
          ".npy input: rows per document, JSON array or one per line (default: doclens.json"
              + " beside it; needed for a 2-d array).")
  Path doclens;

  @Option(
      names = "--vectors-name",
      defaultValue = "precomputed",
      description =
          "Precomputed vectors: a name for their token space, e.g. the model that made them"
              + " (default: ${DEFAULT-VALUE}).")
  String vectorsName;

  @Option(
      names = "--on-error",
      defaultValue = "skip",
      description =
          "skip: count and list bad records and go on; fail: stop at the first one, committing"
              + " what came before (default: ${DEFAULT-VALUE}).")
  String onError;

  @Option(
      names = "--commit-every",
      defaultValue = "" + IndexJob.Options.DEFAULT_COMMIT_EVERY,
      description = "Records between commits (default: ${DEFAULT-VALUE}).")
  long commitEvery;

  @Option(
      names = "--commit-seconds",
      defaultValue = "300",
      description = "Commit at least this often (default: ${DEFAULT-VALUE}).")
  double commitSeconds;

  @Option(
      names = "--index",
      description = "Index folder to create or add to (required unless --encode-only).")
  Path index;

  @Option(
      names = "--model",
      defaultValue = "default",
      description = "Model folder, or 'default' for the bundled model (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(names = "--threads", description = "Encoder threads (default: cores).")
  Integer threads;

  @Option(
      names = "--batch-size",
      defaultValue = "32",
      description = "Documents per encoder batch (default: ${DEFAULT-VALUE}).")
  int batchSize;

  /**
   * What {@code ./latte index} builds when no codec option is given (and the index is new): the
   * compact index, searched by its WARP lists. Chosen on SciFact's train queries (README, "The
   * default index").
   */
  static final IndexOptions DEFAULT_OPTIONS = IndexOptions.NEW_INDEX;

  /** The token retrieval structure every index gets unless {@code --first-stage none}. */
  static final String DEFAULT_FIRST_STAGE = "warp";

  /**
   * Chosen on train (README, long documents): windows of the model's length without overlap had the
   * best mean nDCG@10 over SciFact and SciFact books.
   */
  static final String DEFAULT_LONG_DOCS = "windows";

  @Option(
      names = "--codec",
      description =
          "Token codec: float32, float16, int8, bit, residual-1, residual-2, residual-4 (residual-n:"
              + " centroid id + n bits per dimension, codebook trained on the first documents and"
              + " frozen; default: residual-2 for a new index, the index's own codec when adding to"
              + " one).")
  String codec;

  @Option(
      names = "--pool-factor",
      description =
          "Token pooling factor, Ward clustering (default: 2 for a new index, the index's own when"
              + " adding to one; 1 = none).")
  Integer poolFactor;

  @Option(
      names = "--long-docs",
      description =
          "Documents longer than one encoder input: truncate (keep the first --window tokens),"
              + " windows (overlapping windows, each encoded alone), late-chunking (encode up to"
              + " 512 positions at once and cut the output into passages); search returns"
              + " documents either way (default: "
              + DEFAULT_LONG_DOCS
              + " for a new index; adding to an index, the index's own).")
  String longDocs;

  @Option(
      names = "--window",
      description =
          "Tokens per passage (truncate: tokens kept; default: the model's document length, 128"
              + " for late-chunking).")
  Integer window;

  @Option(
      names = "--stride",
      description =
          "Tokens between passage starts (default: the window, so passages do not overlap).")
  Integer stride;

  @Option(
      names = "--cut",
      description =
          "Where windows and late chunking's passages end: fixed (after --window tokens),"
              + " sentences (at the last sentence end inside the window), paragraphs (at the last"
              + " paragraph break inside the window, else the last sentence end); with a --stride"
              + " below the window, passages overlap by whole sentences (default: fixed).")
  String cut;

  @Option(
      names = "--encode-only",
      description =
          "Encode only and report throughput; write nothing (the baseline for indexing throughput).")
  boolean encodeOnly;

  @Option(
      names = "--first-stage",
      completionCandidates = FirstStageNames.class,
      description =
          "After indexing, build these first stages from the stored token matrices:"
              + " ${COMPLETION-CANDIDATES}, all (every one but lucene-stock, the stock-Lucene"
              + " baseline, whose float copy of every token is built only when named), or none"
              + " (comma-separated; default: warp, rebuilt when stale).")
  String firstStages;

  @Option(
      names = "--sink",
      defaultValue = "local",
      description =
          "Where the documents go: local (the --index folder) or opensearch (bulk-loaded into"
              + " --url, index --sink-index, with the Latte plugin; resumable, retries on 429).")
  String sink;

  @Option(names = "--url", description = "With --sink opensearch: the cluster, http://host:9200.")
  String url;

  @Option(
      names = "--sink-index",
      defaultValue = "latte",
      description = "With --sink opensearch: the index (created when missing; default latte).")
  String sinkIndex;

  @Option(
      names = "--sink-state",
      description =
          "With --sink opensearch: the job's state file (default: $LATTE_HOME/sink-jobs/<url,"
              + " index, input>.json); the same command resumes from it.")
  Path sinkState;

  @Override
  public Integer call() throws Exception {
    if (sink.equals("opensearch")) return OpenSearchSinkCommand.run(this);
    if (!sink.equals("local"))
      throw new IllegalArgumentException("--sink is local or opensearch, not '" + sink + "'");
    if (index == null && !encodeOnly)
      throw new IllegalArgumentException("--index DIR is required (or --encode-only)");
    if (input == null) {
      if (firstStages == null)
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "Missing required option: '--input=<input>' (it may be left out only with"
                + " --first-stage, to add first stages to an existing index)");
      buildFirstStages();
      return 0;
    }
    int code = indexInput();
    if (!encodeOnly && (firstStages != null || code == 0)) buildFirstStages();
    return code;
  }

  private void buildFirstStages() throws Exception {
    boolean defaulted = firstStages == null;
    String names = defaulted ? DEFAULT_FIRST_STAGE : firstStages;
    if (names.trim().equals("none")) return;
    dev.latte.indexer.IndexMetadata meta;
    try (var dir = org.apache.lucene.store.FSDirectory.open(index)) {
      meta = dev.latte.indexer.LatteIndexReaderSupport.metadataIfPresent(dir);
    }
    dev.latte.searcher.firststage.FirstStages.build(
        index,
        dev.latte.searcher.firststage.FirstStages.parse(names),
        defaulted,
        Common::progressBar,
        System.out,
        meta == null || meta.hasModel() ? dev.latte.encoders.BundledModel.resolve(model) : null);
  }

  /**
   * The codec and pool factor: as given; else, adding to an existing index, that index's own (an
   * index refuses documents of another codec); else the compact default.
   */
  private IndexOptions options() throws java.io.IOException {
    IndexOptions base = DEFAULT_OPTIONS;
    if (index != null && java.nio.file.Files.isDirectory(index)) {
      try (var dir = org.apache.lucene.store.FSDirectory.open(index)) {
        dev.latte.indexer.IndexMetadata m =
            dev.latte.indexer.LatteIndexReaderSupport.metadataIfPresent(dir);
        if (m != null) base = m.options();
      }
    }
    return new IndexOptions(
        codec == null ? base.codec() : TokenCodec.fromName(codec),
        poolFactor == null ? base.poolFactor() : poolFactor);
  }

  private IndexJob.OnError onError() {
    return switch (onError.toLowerCase(Locale.ROOT)) {
      case "skip" -> IndexJob.OnError.SKIP;
      case "fail" -> IndexJob.OnError.FAIL;
      default ->
          throw new IllegalArgumentException("--on-error is skip or fail, not '" + onError + "'");
    };
  }

  private int indexInput() throws Exception {
    int t = threads == null ? Common.CORES : threads;
    IndexJob.OnError errors = onError();
    if (commitEvery < 1) throw new IllegalArgumentException("--commit-every must be >= 1");
    FieldMapping mapping =
        new FieldMapping(
            idField, titleField, textFields, metadataFields, vectorsField, null, ids, doclens);
    Corpus corpus = Corpus.open(input, format, mapping);
    if (!corpus.ignored().isEmpty())
      System.out.printf(
          Locale.ROOT,
          "Ignoring %,d file(s) of unknown formats, e.g. %s%n",
          corpus.ignored().size(),
          corpus.ignored().getFirst());
    SourceRecord first = firstGood(corpus);
    boolean vectors = first != null && first.vectors() != null;
    IndexOptions options = options();
    long total = corpus.estimateCount();
    if (encodeOnly) return encodeOnly(corpus, t, total);
    String fingerprint = corpus.fingerprint();
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("format", corpus.formatLabel());
    settings.put("fields", mapping.label());
    settings.put("codec", options.codec().cliName());
    settings.put("pool_factor", Integer.toString(options.poolFactor()));
    settings.put("batch_size", Integer.toString(batchSize));
    IndexJob.Options jobOptions = new IndexJob.Options(commitEvery, commitSeconds, errors);
    long t0 = System.nanoTime();
    IndexJob.Result r;
    String modelLabel;
    if (vectors) {
      int dim = first.vectors().dim();
      modelLabel = "precomputed " + dim + "-d vectors '" + vectorsName + "', no model";
      settings.put("model", ModelIdentity.precomputed(vectorsName, dim).fingerprint());
      try (LatteIndexWriter writer =
          LatteIndexWriter.openForEncoded(
              index,
              ModelIdentity.precomputed(vectorsName, dim),
              corpus.description(),
              fingerprint,
              options)) {
        r =
            runJob(
                corpus,
                fingerprint,
                writer,
                new EncodingPipeline(null, t, batchSize),
                settings,
                jobOptions,
                true,
                total);
      }
    } else {
      try (OnnxTokenEncoder encoder = Common.encoder(model, t)) {
        modelLabel = encoder.config().name();
        settings.put("model", encoder.fingerprint());
        boolean existing = hasMetadata(index);
        try (LatteIndexWriter writer =
            LatteIndexWriter.open(index, encoder, corpus.description(), fingerprint, options)) {
          // Without --long-docs an existing index keeps how it cuts documents (as its codec).
          PassagePolicy policy =
              existing && longDocs == null && window == null && stride == null && cut == null
                  ? (writer.passagePolicy() != null
                      ? writer.passagePolicy()
                      : PassagePolicy.truncate(encoder.config()))
                  : passagePolicy(encoder);
          // Recorded only when not truncating, so jobs of earlier builds resume as they were.
          if (!policy.equals(PassagePolicy.truncate(encoder.config())))
            settings.putAll(policy.settings());
          writer.usePassages(policy);
          if (!policy.singlePassage()) modelLabel += ", " + policy.label();
          r =
              runJob(
                  corpus,
                  fingerprint,
                  writer,
                  new EncodingPipeline(encoder, t, batchSize).withPassages(policy),
                  settings,
                  jobOptions,
                  false,
                  total);
        }
      }
    }
    report(r, modelLabel, t, (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  private PassagePolicy passagePolicy(OnnxTokenEncoder encoder) {
    return PassagePolicy.of(
        PassagePolicy.Mode.fromName(longDocs == null ? DEFAULT_LONG_DOCS : longDocs),
        window,
        stride,
        cut == null ? PassagePolicy.Cut.FIXED : PassagePolicy.Cut.fromName(cut),
        encoder.config());
  }

  private static boolean hasMetadata(Path dir) throws java.io.IOException {
    if (dir == null || !java.nio.file.Files.isDirectory(dir)) return false;
    try (var fs = org.apache.lucene.store.FSDirectory.open(dir)) {
      return dev.latte.indexer.LatteIndexReaderSupport.metadataIfPresent(fs) != null;
    }
  }

  private IndexJob.Result runJob(
      Corpus corpus,
      String fingerprint,
      LatteIndexWriter writer,
      EncodingPipeline pipeline,
      Map<String, String> settings,
      IndexJob.Options jobOptions,
      boolean vectors,
      long total)
      throws Exception {
    Path dir = index.toAbsolutePath().normalize();
    // A new residual index sizes its codebook (centroid count) for the whole collection.
    writer.expectDocuments(total);
    IndexJob job =
        new IndexJob(corpus, fingerprint, writer, pipeline, settings, jobOptions, vectors, dir);
    JobState prior = IndexJob.committedState(writer);
    if (prior != null && !prior.done() && prior.sameJob(fingerprint, settings))
      System.out.printf(
          Locale.ROOT,
          "Resuming the job at record %,d (%,d documents committed); the committed records are"
              + " skipped, not encoded again%n",
          prior.position(),
          prior.counters().indexed());
    IndexProgress progress = Common.progressBar("Indexing");
    long remaining =
        total < 0
            ? -1
            : Math.max(0, total - (prior != null && !prior.done() ? prior.position() : 0));
    progress.start(remaining);
    try {
      return job.run(progress);
    } finally {
      progress.close();
    }
  }

  private void report(IndexJob.Result r, String modelLabel, int threads, double seconds) {
    JobState s = r.state();
    JobState.Counters c = s.counters();
    if (r.alreadyDone()) {
      System.out.printf(
          Locale.ROOT,
          "This job is already complete (%,d documents indexed from %,d records); nothing to do."
              + " Delete %s to index again from scratch.%n",
          c.indexed(),
          c.read(),
          index);
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "Read %,d records: indexed %,d (%,d replaced an existing id), skipped %,d (%,d empty, %,d"
            + " duplicate id in the input, %,d error%s)%n",
        c.read(),
        c.indexed(),
        c.replaced(),
        c.skipped(),
        c.skippedEmpty(),
        c.skippedDuplicate(),
        c.skippedError(),
        c.skippedError() == 1 ? "" : "s");
    System.out.printf(
        Locale.ROOT,
        "This run: %,d documents, %,d tokens in %.1f s: %.1f docs/s, %.0f tokens/s (%s, %d"
            + " thread(s)%s); the job: %,d passages, %,d tokens, %.1f s over %d run(s)%n",
        r.indexedThisRun(),
        r.tokensThisRun(),
        seconds,
        r.indexedThisRun() / seconds,
        r.tokensThisRun() / seconds,
        modelLabel,
        threads,
        r.resumedFrom() > 0 ? ", resumed at record " + r.resumedFrom() : "",
        c.passages(),
        c.tokens(),
        s.seconds(),
        s.runs());
    int shown = Math.min(20, r.problems().size());
    for (int i = 0; i < shown; i++) System.out.println("  skipped " + r.problems().get(i));
    long more = r.problems().size() - shown + r.problemsNotListed();
    Path report = index.toAbsolutePath().normalize().resolve(JobState.FILE);
    if (more > 0) System.out.printf(Locale.ROOT, "  ... and %,d more, all in %s%n", more, report);
    Path dir = index.toAbsolutePath().normalize();
    try (var fs = org.apache.lucene.store.FSDirectory.open(dir);
        var reader = org.apache.lucene.index.DirectoryReader.open(fs)) {
      var meta = dev.latte.indexer.LatteIndexReaderSupport.metadataIfPresent(fs);
      System.out.println(
          "Index " + dir + ": " + dev.latte.indexer.IndexStats.compute(reader, meta).describe());
    } catch (java.io.IOException e) {
      System.out.println("Index " + dir);
    }
  }

  private int encodeOnly(Corpus corpus, int t, long total) throws Exception {
    try (OnnxTokenEncoder encoder = Common.encoder(model, t);
        Corpus.Records records = corpus.records()) {
      Stream<Document> docs =
          StreamSupport.stream(
                  Spliterators.spliteratorUnknownSize(records, Spliterator.ORDERED), false)
              .filter(r -> !r.isBad())
              .map(SourceRecord::document)
              .filter(d -> !d.title().isBlank() || !d.text().isBlank());
      long t0 = System.nanoTime();
      IndexProgress progress = Common.progressBar("Encoding");
      progress.start(total);
      AtomicLong tokens = new AtomicLong();
      long n =
          new EncodingPipeline(encoder, t, batchSize)
              .withPassages(passagePolicy(encoder))
              .run(docs, (d, e) -> tokens.addAndGet(e.union().length()), progress);
      progress.close();
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "Encoded %,d documents (%,d tokens) in %.1f s: %.1f docs/s, %.0f tokens/s (%s, %d thread(s))%n",
          n,
          tokens.get(),
          secs,
          n / secs,
          tokens.get() / secs,
          encoder.config().name(),
          t);
      return 0;
    }
  }

  /** The first record that is not bad, or null: it tells whether the input carries vectors. */
  static SourceRecord firstGood(Corpus corpus) {
    try (Corpus.Records r = corpus.records()) {
      while (r.hasNext()) {
        SourceRecord s = r.next();
        if (!s.isBad()) return s;
      }
    }
    return null;
  }
}
