package dev.latte.web;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the server refuses, typed by why: {@link Invalid} input, {@link NotFound}, a {@link
 * Conflict} with the index's state, {@link TooLarge}, {@link Unauthorized}. The domain (indexes,
 * first stages, request parsers) throws these; {@link ErrorResponses} alone maps each kind to its
 * HTTP status and writes {@code {"error": {"type", "message", ...}}}. {@code type} is the error
 * type clients see; {@code details} (may be empty) are extra members of the error object, e.g. the
 * item index and field of an invalid document.
 */
abstract sealed class Refusal extends RuntimeException {
  final String type;
  final Map<String, Object> details;

  private Refusal(String type, String message, Map<String, Object> details) {
    super(message, null, false, false);
    this.type = type;
    this.details = Map.copyOf(details);
  }

  /** The same kind of refusal with another message and details. */
  abstract Refusal with(String message, Map<String, Object> details);

  /** Input that is not what the route takes. */
  static final class Invalid extends Refusal {
    Invalid(String type, String message, Map<String, Object> details) {
      super(type, message, details);
    }

    @Override
    Refusal with(String message, Map<String, Object> details) {
      return new Invalid(type, message, details);
    }
  }

  /** No such index, document, first stage or route. */
  static final class NotFound extends Refusal {
    NotFound(String type, String message) {
      super(type, message, Map.of());
    }

    @Override
    Refusal with(String message, Map<String, Object> details) {
      return new NotFound(type, message);
    }
  }

  /** The request is valid but the index's state refuses it (read-only, training, exists...). */
  static final class Conflict extends Refusal {
    Conflict(String type, String message, Map<String, Object> details) {
      super(type, message, details);
    }

    @Override
    Refusal with(String message, Map<String, Object> details) {
      return new Conflict(type, message, details);
    }
  }

  /** A request over a size limit (a batch with too many items). */
  static final class TooLarge extends Refusal {
    TooLarge(String type, String message, Map<String, Object> details) {
      super(type, message, details);
    }

    @Override
    Refusal with(String message, Map<String, Object> details) {
      return new TooLarge(type, message, details);
    }
  }

  /** The request lacks the API key it needs. */
  static final class Unauthorized extends Refusal {
    Unauthorized(String message) {
      super("unauthorized", message, Map.of());
    }

    @Override
    Refusal with(String message, Map<String, Object> details) {
      return new Unauthorized(message);
    }
  }

  static Refusal invalid(String type, String message) {
    return new Invalid(type, message, Map.of());
  }

  static Refusal invalid(String type, String message, Map<String, Object> details) {
    return new Invalid(type, message, details);
  }

  static Refusal notFound(String message) {
    return new NotFound("not_found", message);
  }

  static Refusal conflict(String type, String message) {
    return new Conflict(type, message, Map.of());
  }

  static Refusal tooLarge(String type, String message) {
    return new TooLarge(type, message, Map.of());
  }

  /**
   * This refusal as that of item {@code item} of a batch: the message starts with {@code where}
   * (e.g. {@code searches[2]}) and the details name the item.
   */
  Refusal inItem(String where, int item) {
    Map<String, Object> d = new LinkedHashMap<>(details);
    d.put("item", item);
    return with(where + ": " + getMessage(), d);
  }
}
