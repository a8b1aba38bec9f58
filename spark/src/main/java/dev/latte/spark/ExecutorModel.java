package dev.latte.spark;

import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import dev.latte.encoders.TokenEncoder;
import dev.latte.encoders.WordHashEncoder;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One encoder per executor JVM, loaded by its first task and shared by every task after it (a model
 * is hundreds of megabytes and seconds to load: never one per task or per partition). It has as
 * many ONNX sessions as the executor runs tasks at once, each with the threads of one task.
 */
final class ExecutorModel {
  private static final ConcurrentHashMap<String, TokenEncoder> LOADED = new ConcurrentHashMap<>();

  /** The spec of the model-free test encoder: {@code wordhash:DIM}. */
  static final String WORD_HASH = "wordhash:";

  /**
   * The spec of an encoder class on the job's classpath with a public no-argument constructor:
   * {@code class:NAME} (a model-free encoder of one's own, or one for tests).
   */
  static final String CLASS = "class:";

  private ExecutorModel() {}

  static TokenEncoder get(String model, int sessions, int threadsPerSession) {
    return LOADED.computeIfAbsent(
        model + "|" + sessions + "|" + threadsPerSession,
        k -> load(model, sessions, threadsPerSession));
  }

  private static TokenEncoder load(String model, int sessions, int threadsPerSession) {
    if (model.startsWith(CLASS)) {
      try {
        return (TokenEncoder)
            Class.forName(model.substring(CLASS.length())).getConstructor().newInstance();
      } catch (ReflectiveOperationException | ClassCastException e) {
        throw new IllegalArgumentException(
            "--model " + model + ": no TokenEncoder class with a public no-argument constructor",
            e);
      }
    }
    if (model.startsWith(WORD_HASH))
      return new WordHashEncoder("wordhash", Integer.parseInt(model.substring(WORD_HASH.length())));
    try {
      return OnnxTokenEncoder.load(
          BundledModel.resolve(model), Math.max(1, sessions), Math.max(1, threadsPerSession));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot load model " + model, e);
    }
  }
}
