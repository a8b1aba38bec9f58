package dev.latte.core;

import java.nio.file.Path;

/**
 * Where Latte keeps what it derives and may reuse: the unpacked bundled model, the unpacked sample
 * collection and indexes built by {@code eval}/{@code demo}. {@code $LATTE_HOME} when set, else
 * {@code ~/.cache/latte}. Deleting it only costs a rebuild.
 */
public final class LatteHome {
  private LatteHome() {}

  public static Path dir() {
    String env = System.getenv("LATTE_HOME");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath();
    }
    String prop = System.getProperty("latte.home");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop).toAbsolutePath();
    }
    return Path.of(System.getProperty("user.home"), ".cache", "latte");
  }
}
