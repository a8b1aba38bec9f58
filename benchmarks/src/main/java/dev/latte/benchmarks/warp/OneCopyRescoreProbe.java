package dev.latte.benchmarks.warp;

import dev.latte.core.codec.StoredTokenMatrix;
import dev.latte.core.kernel.ResidualQuery;
import dev.latte.core.kernel.VectorKernel;
import dev.latte.datasets.BeirDataset;
import dev.latte.encoders.EncodedText;
import dev.latte.indexer.lists.DocumentTokens;
import dev.latte.searcher.LatteIndex;
import dev.latte.searcher.QueryContext;
import dev.latte.searcher.ScoredDoc;
import dev.latte.searcher.firststage.warp.WarpMethod;
import dev.latte.searcher.firststage.warp.WarpSettings;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.util.BytesRef;

/**
 * The one-copy rescoring read, three ways in one JVM on the same candidates (WARP's top {@code
 * depth} per test query at the default settings): one copy with each token's codes gathered from
 * the lists' 16-token blocks into a row-major copy ({@link DocumentTokens}' value, then {@link
 * VectorKernel#maxSimResidual}), one copy read where the lists keep them ({@link
 * DocumentTokens#listed}, {@link VectorKernel#maxSimResidualListed}: what {@code MaxSimScorer}
 * does), and the two-copy index's contiguous codes. The three run on every query in a rotating
 * order (so none always finds the others' cache lines), four rounds; CPU p50 per query of each, and
 * the largest difference of the three score sums (0 once the kernels are compiled). Not part of the
 * search path: the measurement behind the README's session-7 table.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp "cli/target/latte-cli-0.1.0-SNAPSHOT.jar:cli/target/lib/*:benchmarks/target/classes" \
 *     dev.latte.benchmarks.warp.OneCopyRescoreProbe INDEX-onecopy INDEX ../shared/datasets/scifact
 * </pre>
 *
 * with INDEX a residual index with its WARP stage and INDEX-onecopy its twin ({@code WarpBenchmark
 * --one-copy} makes it).
 */
public final class OneCopyRescoreProbe {
  private OneCopyRescoreProbe() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3)
      throw new IllegalArgumentException(
          "usage: OneCopyRescoreProbe ONE_COPY_INDEX TWO_COPY_INDEX BEIR_DIR");
    BeirDataset ds = BeirDataset.open(Path.of(args[2]));
    var all = ds.queries();
    List<String> texts = new ArrayList<>();
    for (String id : ds.qrels("test").keySet())
      if (all.containsKey(id)) texts.add(all.get(id).text());
    VectorKernel kernel = VectorKernel.get();
    List<EncodedText> encoded = new ArrayList<>();
    try (var e =
        dev.latte.encoders.OnnxTokenEncoder.load(
            dev.latte.encoders.BundledModel.resolve("default"), 1, 1)) {
      for (String t : texts) encoded.add(e.encodeQuery(t));
    }
    var threads = ManagementFactory.getThreadMXBean();
    try (LatteIndex one = LatteIndex.open(Path.of(args[0]));
        LatteIndex two = LatteIndex.open(Path.of(args[1]))) {
      if (one.reader().maxDoc() != two.reader().maxDoc())
        throw new IllegalArgumentException(args[0] + " is not a twin of " + args[1]);
      int dim = one.metadata().dimension();
      WarpMethod warp = new WarpMethod(WarpSettings.DEFAULT, false);
      String[] names = {"one copy, gathered", "one copy, in place", "two copies"};
      for (int round = 0; round < 4; round++) {
        double[][] cpu = new double[3][texts.size()];
        double diff = 0;
        for (int qi = 0; qi < texts.size(); qi++) {
          QueryContext q = QueryContext.ofEncoded(texts.get(qi), encoded.get(qi), kernel);
          int[] docs =
              warp.search(one, q, WarpSettings.DEFAULT.depth()).docs().stream()
                  .mapToInt(ScoredDoc::doc)
                  .sorted()
                  .toArray();
          ResidualQuery rq = q.preparedResidual(one.residualCodebook());
          float[] sums = new float[3];
          for (int pass = 0; pass < 3; pass++) {
            int mode = (pass + qi) % 3;
            long c0 = threads.getCurrentThreadCpuTime();
            sums[mode] = rescore(mode == 2 ? two : one, mode, docs, rq, kernel, dim);
            cpu[mode][qi] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
          }
          diff = Math.max(diff, Math.max(Math.abs(sums[0] - sums[1]), Math.abs(sums[0] - sums[2])));
        }
        StringBuilder line =
            new StringBuilder("round " + round + ": CPU p50 per query of rescoring");
        for (int m = 0; m < 3; m++) {
          Arrays.sort(cpu[m]);
          line.append(
              String.format(Locale.ROOT, ", %s %.3f ms", names[m], cpu[m][cpu[m].length / 2]));
        }
        line.append(String.format(Locale.ROOT, "; largest score-sum difference %g", diff));
        System.out.println(line);
      }
    }
  }

  /** The sum of the documents' MaxSim scores, read as {@code mode} says. */
  private static float rescore(
      LatteIndex index, int mode, int[] docs, ResidualQuery rq, VectorKernel kernel, int dim)
      throws IOException {
    List<LeafReaderContext> leaves = index.reader().leaves();
    float sum = 0;
    for (int d : docs) {
      LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(d, leaves));
      BinaryDocValues values = DocumentTokens.of(leaf.reader());
      if (values == null || !values.advanceExact(d - leaf.docBase)) continue;
      DocumentTokens.Listed listed = mode == 1 ? DocumentTokens.listed(values) : null;
      if (mode == 1 && listed == null)
        throw new IllegalArgumentException("document " + d + " keeps its codes in the main index");
      if (listed != null) {
        BytesRef v = listed.value();
        sum +=
            kernel.maxSimResidualListed(
                rq,
                v.bytes,
                StoredTokenMatrix.Header.payloadOffset(v.offset),
                listed.header().tokens(),
                listed.codes(),
                listed.at(),
                listed.step());
      } else {
        BytesRef v = values.binaryValue();
        var h = StoredTokenMatrix.header(v.bytes, v.offset, v.length, dim);
        sum +=
            kernel.maxSimResidual(
                rq, v.bytes, StoredTokenMatrix.Header.payloadOffset(v.offset), h.tokens());
      }
    }
    return sum;
  }
}
