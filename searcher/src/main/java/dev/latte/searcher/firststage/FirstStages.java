package dev.latte.searcher.firststage;

import dev.latte.indexer.IndexMetadata;
import dev.latte.indexer.IndexProgress;
import dev.latte.indexer.LatteIndexReaderSupport;
import dev.latte.indexer.firststage.FirstStageBuilder;
import dev.latte.indexer.firststage.FirstStageIndex;
import dev.latte.searcher.SearchMethod;
import dev.latte.searcher.SearchSettings;
import dev.latte.searcher.firststage.slim.SlimBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * The registry of first stages: every {@link FirstStage}, registered once in {@link #DEFAULT}, and
 * what the rest of Latte asks of them (builders by name, parsing {@code --first-stage}, which stage
 * a method needs, building them for a committed index). Adding a stage is one package and one line
 * in {@link #DEFAULT}. The static methods answer for {@link #DEFAULT}.
 */
public final class FirstStages {

  /** The first stages of Latte, in the order they are listed and built. */
  public static final FirstStages DEFAULT =
      new FirstStages(
          List.of(
              new dev.latte.searcher.firststage.xtr.XtrStage(),
              new dev.latte.searcher.firststage.warp.WarpStage(),
              new dev.latte.searcher.firststage.coil.CoilStage(),
              new dev.latte.searcher.firststage.slim.SlimStage(),
              new dev.latte.searcher.firststage.stock.LuceneStockStage()));

  private final Map<String, FirstStage> stages = new LinkedHashMap<>();

  private FirstStages(List<FirstStage> stages) {
    for (FirstStage s : stages)
      if (this.stages.putIfAbsent(s.name(), s) != null)
        throw new IllegalArgumentException("two first stages are named '" + s.name() + "'");
  }

  /** This registry and {@code stage} (tests, and whoever extends Latte with a stage of its own). */
  public FirstStages with(FirstStage stage) {
    List<FirstStage> all = new ArrayList<>(stages.values());
    all.add(stage);
    return new FirstStages(all);
  }

  /** Every stage, in registration order. */
  public List<FirstStage> all() {
    return List.copyOf(stages.values());
  }

  /** Every stage's name, in registration order. */
  public static List<String> names() {
    return List.copyOf(DEFAULT.stages.keySet());
  }

  /** The stage named {@code name}, or an error listing the stages there are. */
  public FirstStage stage(String name) {
    FirstStage s = stages.get(name);
    if (s == null)
      throw new IllegalArgumentException(
          "unknown first stage '" + name + "'; available: " + String.join(", ", stages.keySet()));
    return s;
  }

  /** The stage of {@link #DEFAULT} named {@code name}, or an error listing them. */
  public static FirstStage get(String name) {
    return DEFAULT.stage(name);
  }

  /** The search methods every stage enables, stage after stage. */
  public List<SearchMethod> methods(SearchSettings settings) {
    List<SearchMethod> out = new ArrayList<>();
    for (FirstStage s : stages.values()) out.addAll(s.methods(settings));
    return out;
  }

  /**
   * The first stage method {@code method} needs ({@link SearchMethod#firstStage()}), null for a
   * method that needs none or that no stage enables.
   */
  public String stageOf(String method) {
    for (SearchMethod m : methods(SearchSettings.DEFAULT))
      if (m.name().equals(method)) return m.firstStage();
    return null;
  }

  /** {@link #stageOf} in {@link #DEFAULT}. */
  public static String stageOfMethod(String method) {
    return DEFAULT.stageOf(method);
  }

  /**
   * {@code values} (by {@code STAGE.NAME}) checked against the parameters the stages declare: an
   * unknown stage or parameter, or a value out of range, is an error naming it and what there is.
   */
  public Map<String, Integer> checkParameters(Map<String, Integer> values) {
    for (var e : values.entrySet()) {
      String key = e.getKey();
      int dot = key.indexOf('.');
      if (dot <= 0)
        throw new IllegalArgumentException(
            "stage parameter '" + key + "' must be STAGE.NAME; there are: " + parameterNames());
      FirstStage stage = stage(key.substring(0, dot));
      String name = key.substring(dot + 1);
      StageParameter p =
          stage.parameters().stream()
              .filter(x -> x.name().equals(name))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "first stage '"
                              + stage.name()
                              + "' has no parameter '"
                              + name
                              + "'; there are: "
                              + parameterNames()));
      p.check(stage.name(), e.getValue());
    }
    return Map.copyOf(values);
  }

  /** Every parameter as {@code STAGE.NAME}, in registration order ("none" if there is none). */
  public String parameterNames() {
    List<String> out = new ArrayList<>();
    for (FirstStage s : stages.values())
      for (StageParameter p : s.parameters()) out.add(s.name() + "." + p.name());
    return out.isEmpty() ? "none" : String.join(", ", out);
  }

  /** One help line per parameter: {@code STAGE.NAME (default D): description}. */
  public List<String> parameterHelp() {
    List<String> out = new ArrayList<>();
    for (FirstStage s : stages.values())
      for (StageParameter p : s.parameters())
        out.add(
            s.name() + "." + p.name() + " (default " + p.defaultValue() + "): " + p.description());
    return out;
  }

  /** Every builder, by the name {@code --first-stage} takes. */
  public static Map<String, FirstStageBuilder> builders() {
    return builders(null);
  }

  /**
   * Every builder; {@code modelFolder} (may be null) is where SLIM looks for a trained head ({@link
   * SlimBuilder#trainedHead}).
   */
  public static Map<String, FirstStageBuilder> builders(Path modelFolder) {
    return DEFAULT.buildersOf(modelFolder);
  }

  /** This registry's builders by name. */
  public Map<String, FirstStageBuilder> buildersOf(Path modelFolder) {
    Map<String, FirstStageBuilder> m = new LinkedHashMap<>();
    for (FirstStage s : stages.values()) m.put(s.name(), s.builder(modelFolder));
    return m;
  }

  /**
   * Parses "xtr,coil" or "all" into stage names, failing on an unknown one; "all" is every stage
   * but the {@link FirstStage#evaluationOnly} ones, which are built only when named.
   */
  public static List<String> parse(String list) {
    return DEFAULT.parseNames(list);
  }

  /** {@link #parse} against this registry. */
  public List<String> parseNames(String list) {
    Map<String, FirstStage> all = stages;
    List<String> out = new ArrayList<>();
    for (String s : list.split(",")) {
      String n = s.trim();
      if (n.isEmpty()) continue;
      if (n.equals("all")) {
        for (FirstStage st : all.values()) if (!st.evaluationOnly()) out.add(st.name());
      } else if (all.containsKey(n)) {
        out.add(n);
      } else {
        throw new IllegalArgumentException(
            "unknown first stage '"
                + n
                + "'; available: "
                + String.join(", ", all.keySet())
                + ", all");
      }
    }
    return out.stream().distinct().toList();
  }

  /**
   * Builds the named structures for the index at {@code index} (all of them when {@code onlyStale}
   * is false, else only those missing or stale). Prints one line per structure built.
   */
  public static void build(
      Path index,
      List<String> names,
      boolean onlyStale,
      Function<String, IndexProgress> progress,
      PrintStream out)
      throws IOException {
    build(index, names, onlyStale, progress, out, null);
  }

  /** As above, with the model folder where SLIM looks for a trained head. */
  public static void build(
      Path index,
      List<String> names,
      boolean onlyStale,
      Function<String, IndexProgress> progress,
      PrintStream out,
      Path modelFolder)
      throws IOException {
    DEFAULT.buildStages(index, names, onlyStale, progress, out, modelFolder);
  }

  /** {@link #build} with this registry's stages. */
  public void buildStages(
      Path index,
      List<String> names,
      boolean onlyStale,
      Function<String, IndexProgress> progress,
      PrintStream out,
      Path modelFolder)
      throws IOException {
    Path p = index.toAbsolutePath().normalize();
    if (!Files.isDirectory(p))
      throw new dev.latte.indexer.IndexMismatchException("index folder not found: " + p);
    Map<String, FirstStageBuilder> all = buildersOf(modelFolder);
    for (String name : names) FirstStageIndex.restoreInterrupted(FirstStageIndex.dir(p, name));
    try (Directory dir = FSDirectory.open(p);
        var lock = writeLock(dir, p);
        DirectoryReader reader = DirectoryReader.open(dir)) {
      IndexMetadata m = LatteIndexReaderSupport.metadataOf(reader.getIndexCommit());
      for (String name : names) {
        if (onlyStale && FirstStageIndex.isFresh(p, all.get(name).format(), reader)) continue;
        long t0 = System.nanoTime();
        all.get(name).build(p, reader, m, progress.apply("First stage " + name));
        out.printf(
            Locale.ROOT,
            "Built first stage %s in %.1f s: %s on disk%n",
            name,
            (System.nanoTime() - t0) / 1e9,
            human(bytes(p, name)));
      }
    }
    if (names.contains(dev.latte.searcher.firststage.warp.WarpBuilder.NAME)) {
      // One copy of the tokens: the codes the WARP lists now hold leave the main index.
      var moved = dev.latte.indexer.lists.TokenCompaction.moveCodesToLists(p);
      if (moved.moved() > 0)
        out.printf(
            Locale.ROOT,
            "Moved the residual codes of %d documents into the WARP lists (one copy; %d keep"
                + " theirs in the main index)%n",
            moved.moved(),
            moved.kept());
    }
  }

  /**
   * The main index's write lock, held while its first stages are rebuilt: nobody writes the index
   * meanwhile, and a live server that maintains them (it holds the lock) is not pulled from under.
   */
  private static org.apache.lucene.store.Lock writeLock(Directory dir, Path p) throws IOException {
    try {
      return dir.obtainLock(org.apache.lucene.index.IndexWriter.WRITE_LOCK_NAME);
    } catch (org.apache.lucene.store.LockObtainFailedException e) {
      throw new dev.latte.indexer.IndexMismatchException(
          "index "
              + p
              + " is being written by another process (a ./latte serve --data server, or an"
              + " indexing job): stop it first, or have the server build its first stages with"
              + " POST /v1/indexes/NAME/first-stages");
    }
  }

  /** Bytes on disk of a first stage (0 if absent); of a sharded index, over every shard. */
  public static long bytes(Path index, String name) throws IOException {
    long total = dev.latte.core.FileTrees.bytes(FirstStageIndex.dir(index, name));
    if (dev.latte.indexer.ShardManifest.isSharded(index))
      for (var s : dev.latte.indexer.ShardManifest.read(index).shards())
        total += dev.latte.core.FileTrees.bytes(FirstStageIndex.dir(index.resolve(s.name()), name));
    return total;
  }

  static String human(long b) {
    if (b >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
    return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
  }
}
