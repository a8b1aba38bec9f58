package dev.latte.benchmarks.sharded;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.Percentiles;
import dev.latte.core.codec.ResidualCodebook;
import dev.latte.datasets.BeirDataset;
import dev.latte.datasets.Document;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.EncodedText;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.indexer.IndexLayout;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.JobState;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.ResidualCodebookFile;
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import dev.latte.searcher.firststage.warp.WarpBuilder;
import dev.latte.searcher.sharded.ShardedIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;

/**
 * Fan-out cost of a sharded index: splits an existing index into N shards by id hash (stored
 * matrices copied byte for byte, never re-encoded; each shard numbered in its own sequence range;
 * the first stage derived in every shard with the source's own trained parameters), then times one
 * method on the source and on the shards — searched on one thread and with the shards fanned out
 * over two ({@link ShardedIndex#open(Path, int)}) — query by query interleaved (so all see the same
 * machine load), one query at a time, query encoding excluded, and counts queries whose top 10
 * differ from the source's.
 *
 * <p>{@code java -cp CLASSPATH dev.latte.benchmarks.sharded.ShardedSearchBenchmark SOURCE_INDEX
 * OUT_DIR SHARDS BEIR_DIR [METHOD] [STAGE]} (defaults xtr+maxsim, xtr); see README, Spark section.
 */
public final class ShardedSearchBenchmark {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ShardedSearchBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path source = Path.of(args[0]).toAbsolutePath().normalize();
    Path out = Path.of(args[1]).toAbsolutePath().normalize();
    int shards = Integer.parseInt(args[2]);
    BeirDataset dataset = BeirDataset.open(Path.of(args[3]));
    String method = args.length > 4 ? args[4] : "xtr+maxsim";
    String stage = args.length > 5 ? args[5] : "xtr";
    if (!ShardManifest.isSharded(out)) split(source, out, shards, stage);
    measure(source, out, dataset, method);
  }

  static void split(Path source, Path out, int n, String stage) throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(out);
    List<ShardManifest.Shard> list = new ArrayList<>();
    IndexMetadata meta;
    try (var dir = FSDirectory.open(source);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      meta = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      // A residual index's shards code with its codebook (copied byte for byte, never re-coded),
      // which lies beside the manifest too, as the Spark job leaves it.
      ResidualCodebook book =
          meta.options().codec().isResidual() ? ResidualCodebookFile.read(source) : null;
      if (book != null)
        Files.copy(
            source.resolve(ResidualCodebookFile.FILE), out.resolve(ResidualCodebookFile.FILE));
      LatteIndexWriter[] writers = new LatteIndexWriter[n];
      long[] docs = new long[n];
      long[] tokens = new long[n];
      for (int i = 0; i < n; i++) {
        writers[i] =
            LatteIndexWriter.openForEncoded(
                out.resolve(ShardManifest.shardName(i)),
                ModelIdentity.of(meta),
                "split of " + source,
                "",
                meta.options(),
                book);
        writers[i].startSequencesAt(ShardManifest.firstSeq(i));
      }
      var storedFields =
          Set.of(IndexLayout.ID, IndexLayout.TITLE, IndexLayout.TEXT, IndexLayout.METADATA);
      for (LeafReaderContext leaf : reader.leaves()) {
        BinaryDocValues mats = dev.latte.indexer.lists.DocumentTokens.of(leaf.reader());
        BinaryDocValues infos = leaf.reader().getBinaryDocValues(IndexLayout.TOKEN_INFO);
        var counts = leaf.reader().getNumericDocValues(IndexLayout.TOKEN_COUNT);
        Bits live = leaf.reader().getLiveDocs();
        var stored = leaf.reader().storedFields();
        for (int d = 0; d < leaf.reader().maxDoc(); d++) {
          if (live != null && !live.get(d)) continue;
          var doc = stored.document(d, storedFields);
          String md = doc.get(IndexLayout.METADATA);
          Document document =
              new Document(
                  doc.get(IndexLayout.ID),
                  doc.get(IndexLayout.TITLE),
                  doc.get(IndexLayout.TEXT),
                  md == null ? null : (ObjectNode) JSON.readTree(md));
          int s = ShardManifest.shardOf(document.id(), n);
          mats.advanceExact(d);
          boolean hasInfo = infos != null && infos.advanceExact(d);
          writers[s].addStored(document, mats.binaryValue(), hasInfo ? infos.binaryValue() : null);
          docs[s]++;
          if (counts != null && counts.advanceExact(d)) tokens[s] += counts.longValue();
        }
      }
      for (int i = 0; i < n; i++) {
        writers[i].commit();
        writers[i].close();
        list.add(
            new ShardManifest.Shard(
                ShardManifest.shardName(i), docs[i], tokens[i], ShardManifest.firstSeq(i)));
      }
    }
    // The source's trained parameters, in the sharded folder and in every shard.
    Path params = FirstStageIndex.dir(source, stage);
    Map<String, String> sums = new LinkedHashMap<>();
    List<Path> files = new ArrayList<>();
    try (var s = Files.list(params)) {
      for (Path f : s.toList())
        if (f.getFileName().toString().startsWith("latte_")
            && !f.getFileName().toString().equals(WarpBuilder.LISTS_FILE)) files.add(f);
    }
    Files.createDirectories(FirstStageIndex.dir(out, stage));
    for (Path f : files) {
      Files.copy(f, FirstStageIndex.dir(out, stage).resolve(f.getFileName()));
      sums.put(f.getFileName().toString(), "copied");
    }
    var builder = FirstStages.builders().get(stage);
    // WARP over a residual index codes with the index's own (shared) codebook: each shard gets
    // packed lists as a build writes them; other stages derive documents with the copied
    // parameters (as the Spark job does).
    boolean packed = stage.equals(WarpBuilder.NAME) && meta.options().codec().isResidual();
    for (ShardManifest.Shard s : list) {
      Path shard = out.resolve(s.name());
      Path folder = FirstStageIndex.dir(shard, stage);
      try (var dir = FSDirectory.open(shard);
          DirectoryReader reader = DirectoryReader.open(dir)) {
        if (packed) builder.buildIn(folder, reader, meta, IndexProgress.NONE);
        else {
          Files.createDirectories(folder);
          for (Path f : files) Files.copy(f, folder.resolve(f.getFileName()));
          FirstStageIndex.derive(builder, folder, reader, meta, IndexProgress.NONE);
        }
      }
    }
    long total = list.stream().mapToLong(ShardManifest.Shard::documents).sum();
    ShardManifest m =
        new ShardManifest(
            ShardManifest.LAYOUT_VERSION,
            "split of " + source,
            meta,
            list,
            Map.of(stage, new ShardManifest.Stage(builder.format().stamp(), sums)),
            0,
            new JobState.Counters(total, total, 0, 0, 0, 0, 0));
    Files.writeString(out.resolve(ShardManifest.FILE), m.toJson());
    System.out.printf(
        Locale.ROOT,
        "Split %s into %d shards (%s) and derived %s in %.1f s%n",
        source,
        n,
        list.stream().map(s -> Long.toString(s.documents())).toList(),
        stage,
        (System.nanoTime() - t0) / 1e9);
  }

  static void measure(Path source, Path sharded, BeirDataset dataset, String method)
      throws Exception {
    List<String> texts = new ArrayList<>();
    var qrels = dataset.qrels("test");
    dataset
        .queries()
        .forEach(
            (id, q) -> {
              if (qrels.containsKey(id)) texts.add(q.text());
            });
    int shards = ShardManifest.read(sharded).shards().size();
    try (OnnxTokenEncoder encoder =
            OnnxTokenEncoder.load(BundledModel.resolve(System.getProperty("latte.model")), 1, 1);
        LatteSearcher one = new LatteSearcher(LatteIndex.open(source), encoder);
        LatteSearcher seq = new LatteSearcher(ShardedIndex.open(sharded, 1), encoder);
        LatteSearcher par = new LatteSearcher(ShardedIndex.open(sharded, 2), encoder)) {
      List<EncodedText> encoded = new ArrayList<>();
      for (String t : texts) encoded.add(encoder.encodeQuery(t));
      LatteSearcher[] all = {one, seq, par};
      int warm = Math.min(30, texts.size());
      for (int i = 0; i < warm; i++)
        for (LatteSearcher s : all) run(s, method, texts.get(i), encoded.get(i));
      double[][] ms = new double[3][texts.size()];
      double[][] first = new double[3][texts.size()];
      double[][] rescore = new double[3][texts.size()];
      double[][] cpu = new double[3][texts.size()];
      var threads = java.lang.management.ManagementFactory.getThreadMXBean();
      int[] differ = new int[3];
      List<Map<String, List<Double>>> steps =
          List.of(new LinkedHashMap<>(), new LinkedHashMap<>(), new LinkedHashMap<>());
      for (int i = 0; i < texts.size(); i++) {
        // Rotate which goes first, so none always runs on a warmer cache.
        LatteSearcher.SearchResponse[] r = new LatteSearcher.SearchResponse[3];
        for (int j = 0; j < 3; j++) {
          int w = (i + j) % 3;
          long c = threads.getCurrentThreadCpuTime();
          r[w] = run(all[w], method, texts.get(i), encoded.get(i));
          cpu[w][i] = (threads.getCurrentThreadCpuTime() - c) / 1e6;
        }
        for (int w = 0; w < 3; w++) {
          ms[w][i] = r[w].searchMillis();
          first[w][i] = r[w].firstStageMillis();
          rescore[w][i] = r[w].rescoreMillis();
          for (var e : r[w].stepsMillis().entrySet())
            steps.get(w).computeIfAbsent(e.getKey(), x -> new ArrayList<>()).add(e.getValue());
          if (!ids(r[0]).equals(ids(r[w]))) differ[w]++;
        }
      }
      double p0 = Percentiles.nearestRank(ms[0], 50);
      String[] names = {"one index", shards + " shards, 1 thread", shards + " shards, 2 threads"};
      System.out.printf(
          Locale.ROOT,
          "%s over %d test queries, one query at a time, encoding excluded, interleaved:%n",
          method,
          texts.size());
      for (int w = 0; w < 3; w++)
        System.out.printf(
            Locale.ROOT,
            "  %-22s p50 %7.2f ms (first stage %.2f, rescoring %.2f)  p95 %7.2f ms  %.2fx of one"
                + " index; query thread's CPU p50 %.2f ms (%.2fx); top-10 ids differ on %d%n",
            names[w],
            Percentiles.nearestRank(ms[w], 50),
            Percentiles.nearestRank(first[w], 50),
            Percentiles.nearestRank(rescore[w], 50),
            Percentiles.nearestRank(ms[w], 95),
            Percentiles.nearestRank(ms[w], 50) / p0,
            Percentiles.nearestRank(cpu[w], 50),
            Percentiles.nearestRank(cpu[w], 50) / Percentiles.nearestRank(cpu[0], 50),
            differ[w]);
      for (int w = 0; w < 3; w++) {
        StringBuilder b = new StringBuilder("    steps p50 (ms) of " + names[w] + ":");
        for (var e : steps.get(w).entrySet())
          b.append(
              String.format(
                  Locale.ROOT,
                  " %s %.3f",
                  e.getKey(),
                  Percentiles.nearestRank(
                      e.getValue().stream().mapToDouble(Double::doubleValue).toArray(), 50)));
        System.out.println(b);
      }
    }
  }

  private static LatteSearcher.SearchResponse run(
      LatteSearcher s, String method, String text, EncodedText e) throws Exception {
    return s.searchVectors(method, text, e.matrix(), e.tokens(), 10, null, false);
  }

  private static List<String> ids(LatteSearcher.SearchResponse r) {
    return r.hits().stream().map(LatteSearcher.Hit::docid).toList();
  }
}
