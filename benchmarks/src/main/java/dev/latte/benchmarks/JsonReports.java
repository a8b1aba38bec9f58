package dev.latte.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The one way the benchmark mains write their JSON reports: indented, UTF-8, replacing the file.
 */
public final class JsonReports {
  /** Shared and thread-safe once configured. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JsonReports() {}

  public static void write(Path file, Object report) throws IOException {
    MAPPER.writeValue(file.toFile(), report);
  }
}
