package dev.latte.web;

import dev.latte.core.FileTrees;
import dev.latte.encoders.ModelConfig;
import dev.latte.encoders.TokenEncoder;
import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexMismatchException;
import dev.latte.indexer.IndexOptions;
import dev.latte.indexer.LatteIndexReaderSupport;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * The live indexes of a data folder ({@code ./latte serve --data DIR}): every sub-folder holding a
 * Latte index built with one of the server's models is served under the folder's name, and indexes
 * are created and deleted through the registry. The server may load several models; each index
 * encodes its documents and queries with the model it was built with (recognised by the model's
 * fingerprint), and a new index takes the first model unless it names another.
 *
 * <p>Guarantees (see {@link LiveIndex}): a write is durable when it returns, because it ends with a
 * Lucene commit; and it is visible to every search that starts after it returns, because the index
 * is refreshed right after the commit. A scheduled refresh (every {@code refreshMillis}) also swaps
 * in new snapshots, which is what makes commits of another process visible on an index served
 * read-only; in-flight searches finish on the snapshot they started with.
 *
 * <p>Names follow {@value #NAME_RULE}: lowercase, no dots or slashes, so a name is always one
 * folder right under the data folder. Sub-folders with other names, without an index, or built by a
 * model the server has not loaded are skipped (logged, with the model they need).
 */
public final class IndexRegistry implements Closeable {
  private static final System.Logger LOG = System.getLogger(IndexRegistry.class.getName());
  public static final String NAME_RULE = "[a-z0-9][a-z0-9_-]{0,63}";
  private static final Pattern NAME = Pattern.compile(NAME_RULE);

  private final Path data;
  // Set when the registry serves one given index read-only (serve --index): no creating or
  // deleting.
  private final String fixedName;
  private final List<TokenEncoder> encoders; // the first one is the default
  private final int encodeThreads;
  private final int encodeBatch;
  private final ConcurrentHashMap<String, LiveIndex> indexes = new ConcurrentHashMap<>();
  private final Object lifecycle = new Object();
  private final ScheduledExecutorService refresher;
  // Trains first stages in the background, one at a time (the machine's cores serve searches too).
  private final java.util.concurrent.ExecutorService trainer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "latte-first-stage-training");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
          });

  /**
   * Opens every index of {@code data} (created if missing). Documents are encoded by {@code
   * encodeThreads} threads in batches of {@code encodeBatch}; {@code refreshMillis} is the period
   * of the scheduled refresh (0: only the refresh after each write).
   */
  public IndexRegistry(
      Path data, TokenEncoder encoder, int encodeThreads, int encodeBatch, long refreshMillis)
      throws IOException {
    this(data, List.of(encoder), encodeThreads, encodeBatch, refreshMillis);
  }

  /**
   * As {@link #IndexRegistry(Path, TokenEncoder, int, int, long)} with several models: {@code
   * encoders} have distinct names (their {@code latte-model.json} names); the first is the default
   * for new indexes.
   */
  public IndexRegistry(
      Path data,
      List<TokenEncoder> encoders,
      int encodeThreads,
      int encodeBatch,
      long refreshMillis)
      throws IOException {
    this(data, null, encoders, encodeThreads, encodeBatch, refreshMillis);
  }

  /**
   * Serves the one index at {@code index}, read-only, under {@code name} ({@code ./latte serve
   * --index DIR}): the whole search API, the page and the metrics over an index built offline, with
   * the first stages built for it; writes answer 409 {@code read_only}, and indexes cannot be
   * created or deleted. The scheduled refresh picks up commits of an offline writer.
   */
  public static IndexRegistry serving(
      Path index, String name, List<TokenEncoder> encoders, long refreshMillis) throws IOException {
    validName(name);
    return new IndexRegistry(index, name, encoders, 1, 1, refreshMillis);
  }

  private IndexRegistry(
      Path data,
      String fixedName,
      List<TokenEncoder> encoders,
      int encodeThreads,
      int encodeBatch,
      long refreshMillis)
      throws IOException {
    if (encodeThreads < 1 || encodeBatch < 1 || refreshMillis < 0)
      throw new IllegalArgumentException("threads and batch size must be >= 1, refresh >= 0");
    if (encoders.isEmpty()) throw new IllegalArgumentException("a server needs a model");
    Map<String, TokenEncoder> byName = new LinkedHashMap<>();
    for (TokenEncoder e : encoders) {
      TokenEncoder same = byName.putIfAbsent(e.config().name(), e);
      if (same != null)
        throw new IllegalArgumentException(
            "two models are named \""
                + e.config().name()
                + "\": give each model folder's "
                + ModelConfig.FILE_NAME
                + " its own \"name\"");
    }
    this.data = data.toAbsolutePath().normalize();
    this.fixedName = fixedName;
    this.encoders = List.copyOf(encoders);
    this.encodeThreads = encodeThreads;
    this.encodeBatch = encodeBatch;
    if (fixedName == null) Files.createDirectories(this.data);
    try {
      if (fixedName == null) openExisting();
      else openFixed();
    } catch (IOException | RuntimeException e) {
      closeAll();
      throw e;
    }
    if (refreshMillis > 0) {
      refresher =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "latte-refresh");
                t.setDaemon(true);
                return t;
              });
      refresher.scheduleWithFixedDelay(
          this::refreshAll, refreshMillis, refreshMillis, TimeUnit.MILLISECONDS);
    } else {
      refresher = null;
    }
  }

  private void openFixed() throws IOException {
    IndexMetadata m;
    if (!Files.isDirectory(data))
      throw new IndexMismatchException(
          "index folder not found: "
              + data
              + "; build one with: ./latte index --input CORPUS --index "
              + data);
    boolean sharded = dev.latte.indexer.ShardManifest.isSharded(data);
    try (Directory d = FSDirectory.open(data)) {
      m =
          sharded
              ? dev.latte.indexer.ShardManifest.read(data).index()
              : LatteIndexReaderSupport.metadataIfPresent(d);
    }
    if (m == null)
      throw new IndexMismatchException(
          "no Latte index in "
              + data
              + "; build one with: ./latte index --input CORPUS --index "
              + data
              + " (to serve a folder of indexes use --data)");
    String fingerprint = m.modelFingerprint();
    TokenEncoder encoder =
        encoders.stream().filter(e -> e.fingerprint().equals(fingerprint)).findFirst().orElse(null);
    if (encoder == null)
      throw new IndexMismatchException(
          "the index in "
              + data
              + " was built with model "
              + m.modelName()
              + ", not with "
              + String.join(", ", modelNames())
              + "; serve it with --model FOLDER of that model");
    indexes.put(
        fixedName,
        LiveIndex.open(
            fixedName,
            data,
            encoder,
            encodeThreads,
            encodeBatch,
            m,
            trainer,
            sharded
                ? "a sharded index (the Spark job's shards) is served read-only; to change it, run"
                    + " the job again"
                : "served with --index (read-only); to write, serve its parent folder with --data"));
  }

  private void requireDataFolder() {
    if (fixedName != null)
      throw Refusal.conflict(
          "fixed_index",
          "this server serves the index \""
              + fixedName
              + "\" only, read-only (./latte serve --index); to create, delete and write indexes"
              + " serve a data folder: ./latte serve --data DIR");
  }

  private void openExisting() throws IOException {
    List<Path> dirs;
    try (Stream<Path> s = Files.list(data)) {
      dirs = s.filter(Files::isDirectory).sorted(Comparator.comparing(Path::toString)).toList();
    }
    for (Path dir : dirs) {
      String name = dir.getFileName().toString();
      if (name.startsWith(".")) continue;
      IndexMetadata m;
      try (Directory d = FSDirectory.open(dir)) {
        // A sharded index (the Spark job's) is served writable too, each shard its own writer.
        m =
            dev.latte.indexer.ShardManifest.isSharded(dir)
                ? dev.latte.indexer.ShardManifest.read(dir).index()
                : LatteIndexReaderSupport.metadataIfPresent(d);
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "skipping " + dir + ": " + e.getMessage());
        continue;
      }
      if (m == null) continue;
      if (!NAME.matcher(name).matches()) {
        LOG.log(
            System.Logger.Level.WARNING,
            "skipping index " + dir + ": its folder name does not match " + NAME_RULE);
        continue;
      }
      String fingerprint = m.modelFingerprint();
      TokenEncoder encoder =
          encoders.stream()
              .filter(e -> e.fingerprint().equals(fingerprint))
              .findFirst()
              .orElse(null);
      if (encoder == null) {
        LOG.log(
            System.Logger.Level.WARNING,
            "skipping index "
                + dir
                + ": built with model "
                + m.modelName()
                + ", which this server has not loaded (it serves "
                + String.join(", ", modelNames())
                + "); start it with --model FOLDER of that model to serve the index");
        continue;
      }
      try {
        indexes.put(
            name, LiveIndex.open(name, dir, encoder, encodeThreads, encodeBatch, m, trainer));
      } catch (IOException | RuntimeException e) {
        // One unreadable index must not keep the others from being served.
        LOG.log(System.Logger.Level.ERROR, "skipping index " + dir + ": it cannot be opened", e);
      }
    }
  }

  private void refreshAll() {
    for (LiveIndex li : indexes.values()) {
      try {
        li.refresh(false);
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "refreshing index " + li.name + " failed", e);
      }
    }
  }

  /** True if {@code name} may name an index ({@value #NAME_RULE}). */
  public static boolean isValidName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** Fails with a 400 naming the rule unless {@code name} is a valid index name. */
  static String validName(String name) {
    if (!isValidName(name)) {
      String shown =
          name == null ? "null" : name.length() > 80 ? name.substring(0, 80) + "…" : name;
      throw Refusal.invalid(
          "invalid_name",
          "index name \""
              + shown
              + "\" is not valid: names match "
              + NAME_RULE
              + " (1 to 64 characters: lowercase letters, digits, '_' and '-', starting with a"
              + " letter or digit)");
    }
    return name;
  }

  public Path data() {
    return data;
  }

  /** The default model: new indexes encode with it unless they name another. */
  public TokenEncoder encoder() {
    return encoders.getFirst();
  }

  /** The models this server loaded, the default first. */
  public List<TokenEncoder> encoders() {
    return encoders;
  }

  public List<String> modelNames() {
    return encoders.stream().map(e -> e.config().name()).toList();
  }

  /** The loaded model named {@code name}; 400 naming the served models if there is none. */
  TokenEncoder model(String name) {
    for (TokenEncoder e : encoders) if (e.config().name().equals(name)) return e;
    String shown = name.length() > 80 ? name.substring(0, 80) + "…" : name;
    throw Refusal.invalid(
        "unknown_model",
        "no model named \""
            + shown
            + "\" is loaded; this server serves "
            + String.join(", ", modelNames())
            + " (start it with another --model FOLDER to add one)");
  }

  /** The served index {@code name}; 400 for an invalid name, 404 for an unknown one. */
  LiveIndex get(String name) {
    LiveIndex li = indexes.get(validName(name));
    if (li == null) throw Refusal.notFound("no index named \"" + name + "\"");
    return li;
  }

  /** Served indexes by name. */
  List<LiveIndex> list() {
    List<LiveIndex> out = new ArrayList<>(indexes.values());
    out.sort(Comparator.comparing(li -> li.name));
    return out;
  }

  public List<String> names() {
    return list().stream().map(li -> li.name).toList();
  }

  /** Creates an empty index of the default model without first stages. */
  LiveIndex create(String name, IndexOptions options) throws IOException {
    return create(name, options, FirstStageSettings.NONE);
  }

  /** Creates an empty index of the default model. */
  LiveIndex create(String name, IndexOptions options, FirstStageSettings firstStages)
      throws IOException {
    return create(name, encoder(), options, firstStages);
  }

  /**
   * Creates an empty index encoding with {@code encoder} (one of {@link #encoders()}) and
   * maintaining the first stages of {@code firstStages}; 409 if the name is taken (or its folder
   * holds something else).
   */
  LiveIndex create(
      String name, TokenEncoder encoder, IndexOptions options, FirstStageSettings firstStages)
      throws IOException {
    requireDataFolder();
    if (!encoders.contains(encoder))
      throw new IllegalArgumentException("model " + encoder.config().name() + " is not loaded");
    validName(name);
    synchronized (lifecycle) {
      if (indexes.containsKey(name))
        throw Refusal.conflict("index_exists", "index \"" + name + "\" already exists");
      Path dir = data.resolve(name);
      if (!dir.getParent().equals(data)) throw new IllegalStateException("bad index path " + dir);
      if (Files.exists(dir) && !isEmptyDirectory(dir)) {
        throw Refusal.conflict(
            "index_exists",
            "the data folder already holds a \""
                + name
                + "\" entry that is not a served index; remove it or choose another name");
      }
      LiveIndex li;
      try {
        li =
            LiveIndex.create(
                name, dir, encoder, encodeThreads, encodeBatch, options, firstStages, trainer);
      } catch (IOException | RuntimeException e) {
        FileTrees.deleteRecursively(dir);
        throw e;
      }
      indexes.put(name, li);
      return li;
    }
  }

  /**
   * Stops serving {@code name} and deletes its folder; false if there is no such index. Searches in
   * flight finish on their snapshot.
   */
  boolean delete(String name) throws IOException {
    validName(name);
    requireDataFolder();
    synchronized (lifecycle) {
      LiveIndex li = indexes.remove(name);
      if (li == null) return false;
      li.close();
      FileTrees.deleteRecursively(li.path);
      return true;
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return false;
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  private void closeAll() {
    for (LiveIndex li : indexes.values()) {
      try {
        li.close();
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "closing index " + li.name + " failed", e);
      }
    }
    indexes.clear();
  }

  /** Stops the refresh and closes every index (everything written is already committed). */
  @Override
  public void close() {
    if (refresher != null) {
      // No interrupt: an interrupted refresh could hit the writer in the middle of a flush.
      refresher.shutdown();
      try {
        refresher.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (lifecycle) {
      closeAll();
    }
    trainer.shutdown();
  }
}
