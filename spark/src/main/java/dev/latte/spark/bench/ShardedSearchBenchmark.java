package dev.latte.spark.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.latte.core.Percentiles;
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
import dev.latte.indexer.ShardManifest;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
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
 * method on the source and on the shards, query by query interleaved (so both see the same machine
 * load), one thread, query encoding excluded, and counts queries whose top 10 differ.
 *
 * <p>{@code java -cp CLASSPATH dev.latte.spark.bench.ShardedSearchBenchmark SOURCE_INDEX OUT_DIR
 * SHARDS BEIR_DIR [METHOD] [STAGE]} (defaults xtr+maxsim, xtr); see README, Spark section.
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
                meta.options());
        writers[i].startSequencesAt(ShardManifest.firstSeq(i));
      }
      var storedFields =
          Set.of(IndexLayout.ID, IndexLayout.TITLE, IndexLayout.TEXT, IndexLayout.METADATA);
      for (LeafReaderContext leaf : reader.leaves()) {
        BinaryDocValues mats = leaf.reader().getBinaryDocValues(IndexLayout.TOKENS);
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
      for (Path f : s.toList()) if (f.getFileName().toString().startsWith("latte_")) files.add(f);
    }
    Files.createDirectories(FirstStageIndex.dir(out, stage));
    for (Path f : files) {
      Files.copy(f, FirstStageIndex.dir(out, stage).resolve(f.getFileName()));
      sums.put(f.getFileName().toString(), "copied");
    }
    var builder = FirstStages.builders().get(stage);
    for (ShardManifest.Shard s : list) {
      Path shard = out.resolve(s.name());
      Path folder = FirstStageIndex.dir(shard, stage);
      Files.createDirectories(folder);
      for (Path f : files) Files.copy(f, folder.resolve(f.getFileName()));
      try (var dir = FSDirectory.open(shard);
          DirectoryReader reader = DirectoryReader.open(dir)) {
        FirstStageIndex.derive(builder, folder, reader, meta, IndexProgress.NONE);
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
    try (OnnxTokenEncoder encoder = OnnxTokenEncoder.load(BundledModel.resolve("default"), 1, 1);
        LatteSearcher one = new LatteSearcher(LatteIndex.open(source), encoder);
        LatteSearcher many = new LatteSearcher(LatteIndex.open(sharded), encoder)) {
      List<EncodedText> encoded = new ArrayList<>();
      for (String t : texts) encoded.add(encoder.encodeQuery(t));
      int warm = Math.min(30, texts.size());
      for (int i = 0; i < warm; i++) {
        run(one, method, texts.get(i), encoded.get(i));
        run(many, method, texts.get(i), encoded.get(i));
      }
      double[] a = new double[texts.size()];
      double[] b = new double[texts.size()];
      int differ = 0;
      for (int i = 0; i < texts.size(); i++) {
        // Alternate which goes first, so neither always runs on a warmer cache.
        boolean oneFirst = i % 2 == 0;
        LatteSearcher.SearchResponse x = null;
        LatteSearcher.SearchResponse y = null;
        if (oneFirst) x = run(one, method, texts.get(i), encoded.get(i));
        y = run(many, method, texts.get(i), encoded.get(i));
        if (!oneFirst) x = run(one, method, texts.get(i), encoded.get(i));
        a[i] = x.searchMillis();
        b[i] = y.searchMillis();
        if (!ids(x).equals(ids(y))) differ++;
      }
      double pa = Percentiles.nearestRank(a, 50);
      double pb = Percentiles.nearestRank(b, 50);
      System.out.printf(
          Locale.ROOT,
          "%s over %d test queries, 1 thread, encoding excluded: one index p50 %.2f ms (p95 %.2f),"
              + " %d shards p50 %.2f ms (p95 %.2f): %.2fx; top-10 ids differ on %d queries%n",
          method,
          texts.size(),
          pa,
          Percentiles.nearestRank(a, 95),
          ShardManifest.read(sharded).shards().size(),
          pb,
          Percentiles.nearestRank(b, 95),
          pb / pa,
          differ);
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
