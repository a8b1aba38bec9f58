package dev.latte.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Stream;

/**
 * The demo's evaluation results, kept per index state, build and evaluation settings, so that a
 * later {@code ./latte demo} over an unchanged index with an unchanged build prints them instead of
 * re-running every method on every query (about 5 minutes on 2 cores). Anything that could change a
 * figure changes the key: a file of the index or of its first stages (path, size, modification
 * time), a class of the build (Latte's jars and class folders by content, third-party jars by name
 * and size, which carry their version), the dataset files (by content), the model and the settings.
 */
final class DemoEvaluationCache {
  /** One stored evaluation: the table as printed, when and how long it took. */
  record Entry(String key, String evaluatedAt, double seconds, int queries, String table) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path dir;

  DemoEvaluationCache(Path dir) {
    this.dir = dir;
  }

  /** The key of an evaluation of {@code indexDir} by the build on {@code classpath}. */
  static String key(Path indexDir, Path datasetDir, List<Path> classpath, String settings)
      throws IOException {
    MessageDigest d = sha256();
    line(d, "settings " + settings);
    // The index and its first stages, as files: any rebuild or write touches one of them.
    for (Path f : files(indexDir)) {
      if (f.getFileName().toString().equals("write.lock")) continue;
      line(
          d,
          "index "
              + indexDir.relativize(f)
              + " "
              + Files.size(f)
              + " "
              + Files.getLastModifiedTime(f).toMillis());
    }
    for (Path f : files(datasetDir)) line(d, "dataset " + datasetDir.relativize(f) + " " + sha(f));
    for (Path entry : classpath) {
      if (Files.isDirectory(entry)) {
        for (Path f : files(entry)) line(d, "class " + entry.relativize(f) + " " + sha(f));
      } else if (Files.isRegularFile(entry)) {
        String name = entry.getFileName().toString();
        line(
            d,
            "jar "
                + name
                + " "
                + (name.startsWith("latte-") ? sha(entry) : String.valueOf(Files.size(entry))));
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }

  /** The class path this JVM runs (the launcher has expanded {@code lib/*} already). */
  static List<Path> runtimeClasspath() {
    List<Path> out = new ArrayList<>();
    for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator))
      if (!e.isBlank()) out.add(Path.of(e));
    return out;
  }

  Optional<Entry> read(String key) {
    Path f = file(key);
    if (!Files.isRegularFile(f)) return Optional.empty();
    try {
      Entry e = JSON.readValue(f.toFile(), Entry.class);
      return e.key().equals(key) ? Optional.of(e) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // unreadable (an older layout, a partial write): evaluate again
    }
  }

  void write(Entry e) throws IOException {
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".evaluation", ".part");
    JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), e);
    Files.move(
        tmp,
        file(e.key()),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** How long the newest stored evaluation took here: the estimate for the next one. */
  OptionalDouble lastSeconds() {
    if (!Files.isDirectory(dir)) return OptionalDouble.empty();
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("evaluation-"))
          .max(
              java.util.Comparator.comparingLong(
                  p -> {
                    try {
                      return Files.getLastModifiedTime(p).toMillis();
                    } catch (IOException e) {
                      return 0L;
                    }
                  }))
          .flatMap(
              p -> {
                try {
                  return Optional.of(JSON.readValue(p.toFile(), Entry.class));
                } catch (IOException | RuntimeException e) {
                  return Optional.empty();
                }
              })
          .map(e -> OptionalDouble.of(e.seconds()))
          .orElse(OptionalDouble.empty());
    } catch (IOException e) {
      return OptionalDouble.empty();
    }
  }

  private Path file(String key) {
    return dir.resolve("evaluation-" + key.substring(0, 24) + ".json");
  }

  private static List<Path> files(Path root) throws IOException {
    if (!Files.isDirectory(root)) return List.of();
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  private static void line(MessageDigest d, String s) {
    d.update((s + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static String sha(Path f) throws IOException {
    MessageDigest d = sha256();
    try (InputStream in = Files.newInputStream(f)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
