package dev.latte.benchmarks;

import dev.latte.core.TokenMatrix;
import dev.latte.datasets.Document;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.LatteIndexWriter;
import dev.latte.indexer.ModelIdentity;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.indexer.firststage.LiveFirstStage;
import dev.latte.searcher.firststage.xtr.XtrBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;

/**
 * What keeping a first stage in step costs per write as a live index grows: a main index of {@code
 * --docs} synthetic documents (8 random 32-d rows each, one segment) with an XTR structure (256
 * centroids), then rounds of one write (16 documents replaced by id, committed) each followed by
 * what a live server does after it: {@link LiveFirstStage#sync} (the diff over sequence numbers of
 * all live documents plus deriving the 16), the derived commit, and {@link FirstStageIndex#link}
 * (the derived → main doc-id map the first search of the new snapshot builds). Prints each step's
 * time; not JMH — whole-operation wall times on one thread, first round includes warm-up.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx4g -cp benchmarks/target/benchmarks.jar \
 *     dev.latte.benchmarks.LiveSyncBenchmark DOCS DIR
 * </pre>
 */
public final class LiveSyncBenchmark {
  private LiveSyncBenchmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: LiveSyncBenchmark DOCS DIR (DIR is created and must not exist)");
      System.exit(2);
    }
    int n = Integer.parseInt(args[0]);
    Path main = Path.of(args[1]);
    if (Files.exists(main)) throw new IllegalArgumentException(main + " exists");
    int dim = 32;
    int rows = 8;
    ModelIdentity model = new ModelIdentity("synthetic", "synthetic-32", dim, false, null);
    Random rnd = new Random(1);
    long t0 = System.nanoTime();
    try (LatteIndexWriter w =
        LatteIndexWriter.openForEncoded(main, model, "synthetic", "", IndexOptions.DEFAULT)) {
      for (int i = 0; i < n; i++) w.add(new Document("d" + i, "", "x"), random(rnd, rows, dim));
      w.forceMerge(1);
      w.commit();
    }
    System.out.printf(
        Locale.ROOT, "indexed %d docs in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
    XtrBuilder xtr = new XtrBuilder(new XtrBuilder.Params(256, 32, 5, 1, 2));
    IndexMetadata meta;
    try (DirectoryReader r = DirectoryReader.open(FSDirectory.open(main))) {
      meta = LatteIndexReaderSupport.metadataOf(r.getIndexCommit());
      t0 = System.nanoTime();
      xtr.build(main, r, meta, IndexProgress.NONE);
      System.out.printf(Locale.ROOT, "built xtr in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
    try (LatteIndexWriter w =
            LatteIndexWriter.openForEncoded(main, model, "synthetic", "", IndexOptions.DEFAULT);
        LiveFirstStage live = LiveFirstStage.open(main, xtr, meta)) {
      for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 16; i++)
          w.add(new Document("d" + rnd.nextInt(n), "", "y"), random(rnd, rows, dim));
        w.commit();
        try (DirectoryReader nrt = w.openNrtReader()) {
          long s = System.nanoTime();
          var res = live.sync(nrt);
          long m = System.nanoTime();
          live.commit();
          long c = System.nanoTime();
          boolean fresh;
          try (DirectoryReader dr = live.openReader()) {
            fresh = FirstStageIndex.link(dr, nrt, XtrBuilder.FORMAT).fresh();
          }
          long l = System.nanoTime();
          System.out.printf(
              Locale.ROOT,
              "round %d: sync %.1f ms (added %d, deleted %d), derived commit %.1f ms, link %.1f ms,"
                  + " in step %s%n",
              round,
              (m - s) / 1e6,
              res.added(),
              res.deleted(),
              (c - m) / 1e6,
              (l - c) / 1e6,
              fresh);
        }
      }
    }
  }

  private static TokenMatrix random(Random rnd, int rows, int dim) {
    float[] d = new float[rows * dim];
    for (int j = 0; j < d.length; j++) d[j] = (float) rnd.nextGaussian();
    return new TokenMatrix(d, rows, dim);
  }
}
