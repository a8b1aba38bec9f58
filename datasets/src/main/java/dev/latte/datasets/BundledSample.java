package dev.latte.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The sample collection shipped inside this jar for the quick start: BEIR SciFact (5,183 abstracts,
 * 300 test and 809 train queries), gzipped. SciFact claims are CC BY 4.0 and the abstracts ODC-By
 * 1.0 (allenai/scifact); see {@code ATTRIBUTION.md} beside the files.
 */
public final class BundledSample {
  public static final String NAME = "scifact";
  private static final String ROOT = "/dev/latte/datasets/sample/scifact/";
  private static final List<String> FILES =
      List.of(
          "corpus.jsonl.gz",
          "queries.jsonl.gz",
          "qrels/test.tsv",
          "qrels/train.tsv",
          "ATTRIBUTION.md");

  private BundledSample() {}

  /**
   * Copies the sample into {@code cacheDir/scifact} (once; an existing complete copy is reused) and
   * opens it as a BEIR dataset.
   */
  public static BeirDataset materialize(Path cacheDir) throws IOException {
    Path dir = cacheDir.resolve(NAME);
    for (String f : FILES) {
      Path target = dir.resolve(f);
      try (InputStream in = BundledSample.class.getResourceAsStream(ROOT + f)) {
        if (in == null) {
          throw new DatasetException(
              "the bundled sample is missing "
                  + f
                  + " from the latte-datasets jar; rebuild the project");
        }
        if (Files.isRegularFile(target)) continue;
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".part", null);
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      }
    }
    return BeirDataset.open(dir);
  }
}
