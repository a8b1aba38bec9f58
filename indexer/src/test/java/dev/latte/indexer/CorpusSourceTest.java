package dev.latte.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The corpus fingerprint follows content, not where or how the file is stored. */
class CorpusSourceTest {
  @TempDir Path tmp;

  static final String CORPUS =
      "{\"_id\": \"1\", \"title\": \"a\", \"text\": \"first\"}\n"
          + "{\"_id\": \"2\", \"title\": \"b\", \"text\": \"second\"}\n";

  @Test
  void sameContentSameFingerprintPlainOrGzippedAnyWhere() throws Exception {
    Path plain = tmp.resolve("x").resolve("corpus.jsonl");
    Files.createDirectories(plain.getParent());
    Files.writeString(plain, CORPUS);
    Path gz = tmp.resolve("y").resolve("corpus.jsonl.gz");
    Files.createDirectories(gz.getParent());
    try (var out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(CORPUS.getBytes(StandardCharsets.UTF_8));
    }
    String a = CorpusSource.of(plain).fingerprint();
    assertEquals(a, CorpusSource.of(gz).fingerprint());
    Files.setLastModifiedTime(plain, java.nio.file.attribute.FileTime.fromMillis(0));
    assertEquals(a, CorpusSource.of(plain).fingerprint(), "a touched file is the same corpus");

    Files.writeString(plain, CORPUS.replace("second", "secund"));
    assertNotEquals(a, CorpusSource.of(plain).fingerprint(), "one changed byte changes it");
  }
}
