package dev.latte.spark;

import dev.latte.encoders.BundledModel;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.ResidualCodebookFile;
import dev.latte.indexer.TokenAnnotations;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.searcher.firststage.FirstStages;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.spark.api.java.JavaRDD;

/**
 * The trained parameters of the job — a residual codec's codebook (centroids and buckets) and the
 * first stages' (XTR centroids, the COIL projection, the SLIM table, WARP's codebook) — trained
 * once for the whole job and frozen in every shard, so that every shard derives its documents alike
 * and scores of different shards compare: the merged result is the result of one index derived with
 * these parameters. A first Spark stage encodes a sample of the documents (a stable hash of the id
 * below {@code trainFraction}) on all executors; one task writes them into a Latte index and trains
 * every stage's builder on it exactly as {@code ./latte index --first-stage} trains on a whole
 * index; the files come back to the driver, which broadcasts them. With a residual codec that
 * sample index trains the codebook as a new {@code ./latte index} does (on its first window of
 * tokens, sized for the whole collection's documents), so the stages trained after it see tokens
 * coded as every shard codes them.
 *
 * @param files per stage name, its parameter files (name to bytes); stages without parameters have
 *     none
 * @param residualCodebook the residual codec's codebook file ({@link ResidualCodebookFile}), null
 *     for the other codecs
 * @param trainedOn documents in the sample
 */
record SharedParameters(
    Map<String, Map<String, byte[]>> files, byte[] residualCodebook, long trainedOn)
    implements Serializable {

  static SharedParameters train(JavaRDD<ShardRecord> records, JobSettings s, boolean vectors) {
    boolean residual = s.indexOptions().codec().isResidual();
    if (s.firstStages().isEmpty() && !residual) return new SharedParameters(Map.of(), null, 0);
    // The codebook's centroid count follows the collection's size, as ./latte index sizes it.
    long documents =
        residual
            ? records.filter(r -> !r.isBad() && (vectors ? r.hasVectors() : !r.isEmpty())).count()
            : 0;
    double f = s.trainFraction();
    JavaRDD<ShardRecord> sample =
        records.filter(
            r -> !r.isBad() && (vectors ? r.hasVectors() : !r.isEmpty()) && r.sampleKey() < f);
    JavaRDD<ShardRecord> encoded = vectors ? sample : sample.mapPartitions(it -> encode(it, s));
    List<SharedParameters> one =
        encoded
            .coalesce(1, false)
            .mapPartitions(it -> List.of(trainOn(it, s, documents)).iterator())
            .collect();
    return one.getFirst();
  }

  private static Iterator<ShardRecord> encode(Iterator<ShardRecord> it, JobSettings s) {
    TokenEncoder encoder = ExecutorModel.get(s.model(), s.sessions(), s.threads());
    return new Iterator<>() {
      final List<ShardRecord> out = new ArrayList<>();
      int at;

      @Override
      public boolean hasNext() {
        if (at < out.size()) return true;
        out.clear();
        at = 0;
        List<ShardRecord> batch = new ArrayList<>();
        while (it.hasNext() && batch.size() < s.batchSize()) batch.add(it.next());
        if (batch.isEmpty()) return false;
        List<EncodedText> e =
            encoder.encodeDocuments(batch.stream().map(r -> r.document().contents()).toList());
        for (int i = 0; i < batch.size(); i++) out.add(batch.get(i).encoded(e.get(i)));
        return true;
      }

      @Override
      public ShardRecord next() {
        if (!hasNext()) throw new java.util.NoSuchElementException();
        return out.get(at++);
      }
    };
  }

  /** Writes the sample into a local index and trains every stage on it. */
  private static SharedParameters trainOn(Iterator<ShardRecord> it, JobSettings s, long documents)
      throws IOException {
    Path work = Files.createTempDirectory("latte-train-");
    try {
      Path index = work.resolve("sample");
      ModelIdentity model = null;
      long docs = 0;
      LatteIndexWriter writer = null;
      try {
        while (it.hasNext()) {
          ShardRecord r = it.next();
          if (writer == null) {
            model =
                r.starts() == null
                    ? ModelIdentity.precomputed(s.vectorsName(), r.dim())
                    : ModelIdentity.of(ExecutorModel.get(s.model(), s.sessions(), s.threads()));
            writer =
                LatteIndexWriter.openForEncoded(
                    index, model, "training sample", "", s.indexOptions());
            writer.expectDocuments(documents);
          }
          TokenAnnotations ann = annotations(r);
          writer.add(r.document(), r.matrix(), ann);
          docs++;
        }
        if (writer == null)
          throw new IllegalArgumentException(
              "the training sample is empty: no document's id hashes below --train-fraction "
                  + s.trainFraction()
                  + "; raise it");
        writer.commit();
      } finally {
        if (writer != null) writer.close();
      }
      Path book = index.resolve(ResidualCodebookFile.FILE);
      byte[] codebook = Files.exists(book) ? Files.readAllBytes(book) : null;
      if (s.indexOptions().codec().isResidual() && codebook == null)
        throw new IllegalStateException("the training sample trained no residual codebook");
      Map<String, Map<String, byte[]>> files = new LinkedHashMap<>();
      Map<String, FirstStageBuilder> builders = FirstStages.builders(modelFolder(s));
      try (Directory dir = FSDirectory.open(index);
          DirectoryReader reader = DirectoryReader.open(dir)) {
        IndexMetadata meta = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
        for (String name : s.firstStages()) {
          Path out = work.resolve("params-" + name);
          Files.createDirectories(out);
          try (Directory pd = FSDirectory.open(out)) {
            builderFor(name, builders, reader, s.trainFraction()).train(pd, reader, meta);
          }
          Map<String, byte[]> stage = new LinkedHashMap<>();
          try (var list = Files.list(out)) {
            for (Path p : list.sorted().toList())
              if (Files.isRegularFile(p) && !p.getFileName().toString().equals("write.lock"))
                stage.put(p.getFileName().toString(), Files.readAllBytes(p));
          }
          files.put(name, stage);
        }
      }
      return new SharedParameters(files, codebook, docs);
    } finally {
      dev.latte.core.FileTrees.deleteRecursively(work);
    }
  }

  /**
   * The stage's builder for a sample of {@code fraction} of the collection. XTR chooses its number
   * of centroids from the tokens it trains on; trained on a sample it would choose for the sample,
   * so it is told the number {@code ./latte index --first-stage xtr} chooses for the whole
   * collection (estimated as the sample's tokens / fraction). The other stages do not depend on the
   * collection's size.
   */
  static FirstStageBuilder builderFor(
      String name, Map<String, FirstStageBuilder> builders, DirectoryReader sample, double fraction)
      throws IOException {
    if (!name.equals("xtr") || fraction >= 1) return builders.get(name);
    long tokens = dev.latte.indexer.firststage.SourceDocuments.tokens(sample);
    var d = dev.latte.searcher.firststage.xtr.XtrBuilder.Params.DEFAULT;
    int k =
        dev.latte.searcher.firststage.xtr.XtrBuilder.defaultCentroids(
            Math.round(tokens / fraction));
    return new dev.latte.searcher.firststage.xtr.XtrBuilder(
        new dev.latte.searcher.firststage.xtr.XtrBuilder.Params(
            k, d.sampleFactor(), d.iterations(), d.seed(), d.threads()));
  }

  /** Row annotations of an encoded sample, or of precomputed vectors with token strings. */
  static TokenAnnotations annotations(ShardRecord r) {
    if (r.tokens() == null) return null;
    if (r.starts() != null) return new TokenAnnotations(r.tokens(), r.starts(), r.ends());
    int[] none = new int[r.tokens().length];
    java.util.Arrays.fill(none, -1);
    return new TokenAnnotations(r.tokens(), none, none.clone());
  }

  /** Where SLIM looks for a trained head: the model's folder (none for the test encoder). */
  static Path modelFolder(JobSettings s) throws IOException {
    return s.model().startsWith(ExecutorModel.WORD_HASH)
            || s.model().startsWith(ExecutorModel.CLASS)
        ? null
        : BundledModel.resolve(s.model());
  }

  /**
   * Writes the residual codebook into a new shard's {@code folder} (created), where the shard's
   * writer finds it and codes with it, frozen; nothing for the other codecs.
   */
  void writeCodebookTo(Path folder) throws IOException {
    if (residualCodebook == null) return;
    Files.createDirectories(folder);
    Files.write(folder.resolve(ResidualCodebookFile.FILE), residualCodebook);
  }

  /** Writes stage {@code name}'s files into {@code folder} (created). */
  void writeTo(String name, Path folder) throws IOException {
    Files.createDirectories(folder);
    for (var e : files.getOrDefault(name, Map.of()).entrySet())
      Files.write(folder.resolve(e.getKey()), e.getValue());
  }
}
