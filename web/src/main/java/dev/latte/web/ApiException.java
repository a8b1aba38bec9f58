package dev.latte.web;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the server answers with a 4xx status and {@code {"error": {"type", "message", ...}}};
 * {@code details} (may be empty) are extra members of the error object, e.g. the item index and
 * field of an invalid document.
 */
final class ApiException extends RuntimeException {
  final int status;
  final String type;
  final Map<String, Object> details;

  ApiException(int status, String type, String message) {
    this(status, type, message, Map.of());
  }

  ApiException(int status, String type, String message, Map<String, Object> details) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.details = details;
  }

  static ApiException badRequest(String type, String message) {
    return new ApiException(400, type, message);
  }

  static ApiException notFound(String message) {
    return new ApiException(404, "not_found", message);
  }

  static ApiException conflict(String type, String message) {
    return new ApiException(409, type, message);
  }

  /**
   * This error as the error of item {@code item} of a batch: the message starts with {@code where}
   * (e.g. {@code searches[2]}) and the details name the item.
   */
  ApiException inItem(String where, int item) {
    Map<String, Object> d = new LinkedHashMap<>(details);
    d.put("item", item);
    return new ApiException(status, type, where + ": " + getMessage(), d);
  }

  /** The JSON body of this error. */
  Map<String, Object> body() {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("type", type);
    error.put("message", getMessage());
    error.putAll(details);
    return Map.of("error", error);
  }
}
