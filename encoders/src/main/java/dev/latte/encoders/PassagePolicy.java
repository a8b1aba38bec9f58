package dev.latte.encoders;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How a document longer than one encoder input becomes passages. Lengths count content tokens: the
 * [CLS], [SEP] and marker positions every encoder input carries are not part of a window.
 *
 * <ul>
 *   <li>{@code truncate}: one passage, the first {@code window} tokens (today's behaviour; the
 *       default window is the model's {@code document_max_length} less its special positions, so
 *       the vectors are the ones {@link TokenEncoder#encodeDocuments} gives).
 *   <li>{@code windows}: passages of {@code window} tokens starting every {@code stride} tokens,
 *       each encoded on its own (it sees only itself).
 *   <li>{@code late-chunking} (Günther et al. 2024): the document is encoded in macro-windows of
 *       {@code macroWindow} positions (the longest input the model takes, 512 for BERT-sized
 *       models; a document that fits is encoded once, whole), and the same passage grid as windows
 *       is cut out of the transformer's output, so a passage's vectors saw the context around it.
 *       Longer documents are covered by macro-windows that overlap by {@code window} tokens, so
 *       every passage lies whole inside one; it takes its vectors from the macro-window where it
 *       has the most context on its narrower side.
 * </ul>
 *
 * @param mode the strategy
 * @param window content tokens per passage (for truncate: tokens kept)
 * @param stride content tokens between the starts of consecutive passages ({@code <= window}, so
 *     passages cover the document; ignored by truncate)
 * @param macroWindow late chunking: positions per encoder input, specials included
 * @param cut where windows and late chunking's passages end (truncate ignores it)
 */
public record PassagePolicy(Mode mode, int window, int stride, int macroWindow, Cut cut) {
  /** Encoder input length of a macro-window: 512 positions, BERT's position-embedding limit. */
  public static final int DEFAULT_MACRO_WINDOW = 512;

  /** Late chunking's default passage length (content tokens); passages do not overlap. */
  public static final int DEFAULT_CHUNK = 128;

  public enum Mode {
    TRUNCATE,
    WINDOWS,
    LATE_CHUNKING;

    public String cliName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Mode fromName(String name) {
      for (Mode m : values()) if (m.cliName().equals(name.toLowerCase(Locale.ROOT))) return m;
      throw new IllegalArgumentException(
          "unknown --long-docs '" + name + "'; valid: truncate, windows, late-chunking");
    }
  }

  /**
   * Where a passage ends. {@code fixed}: after exactly {@code window} tokens. {@code sentences}: at
   * the last sentence end inside the window (so no sentence is cut unless one is longer than the
   * window). {@code paragraphs}: at the last paragraph break (blank line) inside the window, else
   * the last sentence end. With either, the next passage starts where this one ended, or, when a
   * stride below the window asks for overlap, at the first sentence start inside the overlap, so
   * passages overlap by whole sentences. A window without any such boundary is cut as fixed.
   */
  public enum Cut {
    FIXED,
    SENTENCES,
    PARAGRAPHS;

    public String cliName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Cut fromName(String name) {
      for (Cut c : values()) if (c.cliName().equals(name.toLowerCase(Locale.ROOT))) return c;
      throw new IllegalArgumentException(
          "unknown --cut '" + name + "'; valid: fixed, sentences, paragraphs");
    }
  }

  /** A policy cutting passages after a fixed number of tokens. */
  public PassagePolicy(Mode mode, int window, int stride, int macroWindow) {
    this(mode, window, stride, macroWindow, Cut.FIXED);
  }

  public PassagePolicy {
    if (mode == null) throw new IllegalArgumentException("long-document mode must be given");
    if (cut == null) throw new IllegalArgumentException("passage cut must be given");
    if (window < 1) throw new IllegalArgumentException("--window must be >= 1, got " + window);
    if (stride < 1 || stride > window)
      throw new IllegalArgumentException(
          "--stride must be between 1 and --window ("
              + window
              + "), got "
              + stride
              + " (a larger stride would leave tokens out of every passage)");
    if (mode == Mode.LATE_CHUNKING && macroWindow < window + 3)
      throw new IllegalArgumentException(
          "late chunking cuts passages of "
              + window
              + " tokens out of macro-windows of "
              + macroWindow
              + " positions; give a --window below "
              + (macroWindow - 2));
  }

  /** Today's behaviour: documents cut at the model's {@code document_max_length}. */
  public static PassagePolicy truncate(ModelConfig config) {
    int w = Math.max(1, config.documentMaxLength() - specials(config));
    return new PassagePolicy(Mode.TRUNCATE, w, w, DEFAULT_MACRO_WINDOW);
  }

  /**
   * The policy {@code --long-docs mode [--window W] [--stride S]} means; null window or stride take
   * the defaults: truncate and windows at the model's document length, late chunking {@value
   * #DEFAULT_CHUNK}-token passages; passages do not overlap unless a stride is given.
   */
  public static PassagePolicy of(Mode mode, Integer window, Integer stride, ModelConfig config) {
    return of(mode, window, stride, Cut.FIXED, config);
  }

  /** As {@link #of(Mode, Integer, Integer, ModelConfig)}, passages ending as {@code cut} says. */
  public static PassagePolicy of(
      Mode mode, Integer window, Integer stride, Cut cut, ModelConfig config) {
    int modelWindow = Math.max(1, config.documentMaxLength() - specials(config));
    int w =
        window != null
            ? window
            : switch (mode) {
              case TRUNCATE, WINDOWS -> modelWindow;
              case LATE_CHUNKING -> DEFAULT_CHUNK;
            };
    // No overlap by default: the setting measured on train (overlap doubles the encoding).
    int s = stride != null ? stride : w;
    if (mode == Mode.TRUNCATE) s = w;
    return new PassagePolicy(
        mode, w, s, DEFAULT_MACRO_WINDOW, mode == Mode.TRUNCATE ? Cut.FIXED : cut);
  }

  /** Positions of an encoder input that are not content: [CLS], [SEP] and the marker. */
  static int specials(ModelConfig config) {
    return 2 + (config.documentMarker() == null ? 0 : 1);
  }

  /** True for the policy that stores one passage per document (no passage metadata needed). */
  public boolean singlePassage() {
    return mode == Mode.TRUNCATE;
  }

  /** The settings an indexing job records (a re-run with other ones is refused). */
  public Map<String, String> settings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("long_docs", mode.cliName());
    m.put("window", Integer.toString(window));
    if (mode != Mode.TRUNCATE) m.put("stride", Integer.toString(stride));
    if (mode == Mode.LATE_CHUNKING) m.put("macro_window", Integer.toString(macroWindow));
    // Recorded only when not fixed, so indexes written before cuts existed keep their settings.
    if (cut != Cut.FIXED) m.put("cut", cut.cliName());
    return m;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** The settings as a JSON object (an index records them, {@link #fromJson} reads them back). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(settings());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public static PassagePolicy fromJson(String json) {
    try {
      Map<String, String> m =
          JSON.readValue(
              json, new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() {});
      Mode mode = Mode.fromName(m.get("long_docs"));
      int window = Integer.parseInt(m.get("window"));
      int stride = m.containsKey("stride") ? Integer.parseInt(m.get("stride")) : window;
      int macro =
          m.containsKey("macro_window")
              ? Integer.parseInt(m.get("macro_window"))
              : DEFAULT_MACRO_WINDOW;
      Cut cut = m.containsKey("cut") ? Cut.fromName(m.get("cut")) : Cut.FIXED;
      return new PassagePolicy(mode, window, stride, macro, cut);
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalArgumentException("unreadable long-document settings " + json, e);
    }
  }

  public String label() {
    return switch (mode) {
      case TRUNCATE -> "truncate " + window;
      case WINDOWS -> "windows " + window + "/" + stride + cutLabel();
      case LATE_CHUNKING ->
          "late-chunking " + window + "/" + stride + " in " + macroWindow + cutLabel();
    };
  }

  private String cutLabel() {
    return cut == Cut.FIXED ? "" : " at " + cut.cliName();
  }

  /** True when passage ends depend on the text (the caller must give {@link #passages(byte[])}). */
  public boolean cutsAtBoundaries() {
    return mode != Mode.TRUNCATE && cut != Cut.FIXED;
  }

  /**
   * Passage boundaries over content tokens cut as {@link #cut} says: {@code after[i]} is the
   * boundary after token {@code i} (see {@code PassageBoundaries}); {@code after.length} tokens. A
   * fixed cut gives {@link #passages(int)}.
   */
  public int[][] passages(byte[] after) {
    int n = after.length;
    if (!cutsAtBoundaries() || n <= window) return passages(n);
    byte wanted = cut == Cut.PARAGRAPHS ? PassageBoundaries.PARAGRAPH : PassageBoundaries.SENTENCE;
    int overlap = window - stride;
    java.util.List<int[]> spans = new java.util.ArrayList<>();
    int start = 0;
    while (true) {
      int end;
      if (n - start <= window) end = n;
      else {
        end = lastBoundary(after, start, start + window, wanted);
        if (end < 0 && wanted > PassageBoundaries.SENTENCE)
          end = lastBoundary(after, start, start + window, PassageBoundaries.SENTENCE);
        if (end < 0) end = start + window;
      }
      spans.add(new int[] {start, end});
      if (end == n) break;
      int next = end;
      if (overlap > 0) {
        // The first sentence start inside the overlap, so passages share whole sentences.
        for (int b = Math.max(start + 1, end - overlap); b < end; b++)
          if (after[b - 1] >= PassageBoundaries.SENTENCE) {
            next = b;
            break;
          }
      }
      start = next;
    }
    int[] starts = new int[spans.size()], ends = new int[spans.size()];
    for (int i = 0; i < spans.size(); i++) {
      starts[i] = spans.get(i)[0];
      ends[i] = spans.get(i)[1];
    }
    return new int[][] {starts, ends};
  }

  /** The largest {@code e} in {@code (from, to]} with a boundary of {@code strength} before it. */
  private static int lastBoundary(byte[] after, int from, int to, byte strength) {
    for (int e = to; e > from; e--) if (after[e - 1] >= strength) return e;
    return -1;
  }

  /**
   * Passage boundaries over {@code n} content tokens: {@code [starts[i], ends[i])}. Truncate gives
   * one passage; the others give passages of {@code window} tokens every {@code stride} tokens, the
   * last one ending at {@code n}. A document of no tokens has one empty passage.
   */
  public int[][] passages(int n) {
    if (mode == Mode.TRUNCATE || n <= window) return new int[][] {{0}, {Math.min(n, window)}};
    int count = 1 + (n - window + stride - 1) / stride;
    int[] starts = new int[count];
    int[] ends = new int[count];
    for (int i = 0; i < count; i++) {
      starts[i] = i * stride;
      ends[i] = Math.min(n, starts[i] + window);
    }
    return new int[][] {starts, ends};
  }

  /**
   * Late chunking's macro-windows over {@code n} content tokens, {@code capacity} content tokens
   * each: one when the document fits, else windows every {@code capacity - window} tokens (so every
   * passage lies whole in one), the last ending at {@code n}.
   */
  public int[] macroStarts(int n, int capacity) {
    if (n <= capacity) return new int[] {0};
    int step = Math.max(1, capacity - window);
    int count = 1 + (n - capacity + step - 1) / step;
    int[] starts = new int[count];
    for (int i = 0; i < count; i++) starts[i] = Math.min(i * step, n - capacity);
    return starts;
  }

  /**
   * The macro-window (index into {@code macroStarts}) that holds passage {@code [from, to)} whole
   * with the most context on its narrower side; ties go to the earlier one.
   */
  public static int bestMacro(int[] macroStarts, int capacity, int from, int to) {
    int best = -1, bestContext = -1;
    for (int i = 0; i < macroStarts.length; i++) {
      int s = macroStarts[i], e = s + capacity;
      if (from < s || to > e) continue;
      int context = Math.min(from - s, e - to);
      if (context > bestContext) {
        best = i;
        bestContext = context;
      }
    }
    if (best < 0)
      throw new IllegalStateException("passage [" + from + ", " + to + ") in no macro-window");
    return best;
  }
}
