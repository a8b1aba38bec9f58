package dev.latte.web;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The API key check: with a key configured, writes need {@code Authorization: Bearer KEY}, reads
 * too if so configured; without one everything is open. Keys are compared in constant time.
 */
final class ApiKeyAuth {
  private final byte[] key;
  private final boolean requiredForReads;

  /** {@code apiKey} null: no key, everything is open. */
  ApiKeyAuth(String apiKey, boolean requiredForReads) {
    this.key = apiKey == null ? null : apiKey.getBytes(StandardCharsets.UTF_8);
    this.requiredForReads = requiredForReads;
  }

  /** Refuses with 401 unless the request carries the key (when one is configured and needed). */
  void authorize(Context ctx, boolean write) {
    if (key == null || (!write && !requiredForReads)) return;
    String h = ctx.header("Authorization");
    byte[] given = null;
    if (h != null && h.regionMatches(true, 0, "Bearer ", 0, 7))
      given = h.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    if (given == null || !MessageDigest.isEqual(given, key)) {
      ctx.header("WWW-Authenticate", "Bearer realm=\"latte\"");
      throw new Refusal.Unauthorized(
          (write ? "writes" : "requests")
              + " need the header Authorization: Bearer <key>"
              + (h == null ? "" : "; the key given is not valid"));
    }
  }
}
