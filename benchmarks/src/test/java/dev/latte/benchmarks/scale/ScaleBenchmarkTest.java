package dev.latte.benchmarks.scale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The scale check's options (picocli) and its data generator, without building an index. */
class ScaleBenchmarkTest {

  private static ScaleOptions parse(String... args) {
    ScaleBenchmark b = new ScaleBenchmark();
    new CommandLine(b).parseArgs(args);
    return b.options();
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    ScaleOptions o = parse("--dir", "/tmp/scale");
    assertEquals(Path.of("/tmp/scale"), o.dir());
    assertEquals(10_000_000L, o.tokens());
    assertEquals(128, o.dim());
    assertEquals(20_000, o.topics(), "documents / 5 at 10M tokens of 100 per document");
    assertArrayEquals(new int[] {8, 16, 32}, o.probes());
    assertArrayEquals(new int[] {1000, 4000}, o.tokenDepths());
    assertArrayEquals(new int[] {100, 400, 1000, 2000}, o.depths());
    assertEquals(100, o.k());
    assertEquals(false, o.reuse());
    assertEquals(java.util.Set.of("xtr", "warp"), o.paths());
    assertArrayEquals(new int[] {4, 8, 16, 32}, o.warpProbes());
    assertArrayEquals(new int[] {32, 100, 400, 1000}, o.warpDepths());
    assertEquals(1, o.warpPoolFactor());
    assertEquals(0, o.warpCentroids(), "the writer trains the codebook, as ./latte index does");
  }

  @Test
  void pathsAreNamedAndAnUnknownOneIsRefusedByName() {
    assertEquals(java.util.Set.of("warp"), parse("--paths", "WARP").paths());
    var e = assertThrows(IllegalArgumentException.class, () -> parse("--paths", "warp,plaid"));
    assertTrue(e.getMessage().startsWith("--paths: 'plaid'"), e.getMessage());
  }

  @Test
  void gridsTakeAllAndUnderscoresAndRefuseGarbageByName() {
    ScaleOptions o =
        parse("--tokens", "200_000", "--probes", "8,all", "--depth", "1_000", "--reuse");
    assertEquals(200_000L, o.tokens());
    assertArrayEquals(new int[] {8, -1}, o.probes());
    assertArrayEquals(new int[] {1000}, o.depths());
    assertTrue(o.reuse());
    var e = assertThrows(IllegalArgumentException.class, () -> parse("--probes", "8,many"));
    assertTrue(e.getMessage().startsWith("--probes: 'many'"), e.getMessage());
    assertThrows(CommandLine.UnmatchedArgumentException.class, () -> parse("--unknown", "1"));
  }

  @Test
  void theGeneratorIsSeededPerDocumentAndUnitNormed() {
    ScaleOptions o =
        parse("--tokens", "20000", "--tokens-per-doc", "20", "--dim", "16", "--topics", "40");
    ClusteredTokens a = new ClusteredTokens(o);
    ClusteredTokens b = new ClusteredTokens(o);
    assertEquals(a.totalTokens, b.totalTokens);
    TokenMatrix d = a.document(7);
    assertArrayEquals(d.data(), b.document(7).data(), "same seed, same document");
    for (int i = 0; i < d.rows(); i++) {
      double norm = 0;
      for (int j = 0; j < d.dim(); j++) norm += d.data()[i * 16 + j] * d.data()[i * 16 + j];
      assertEquals(1.0, norm, 1e-4, "token " + i);
    }
    ClusteredTokens other =
        new ClusteredTokens(
            parse(
                "--tokens",
                "20000",
                "--tokens-per-doc",
                "20",
                "--dim",
                "16",
                "--topics",
                "40",
                "--seed",
                "7"));
    assertNotEquals(d.data()[0], other.document(7).data()[0], "another seed, other data");
  }
}
