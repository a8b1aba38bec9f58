package dev.latte.encoders;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One call of {@link OnnxTokenEncoder#encodePassages}: tokenises each document whole, lays out its
 * encoder inputs (one per window, or one per macro-window for late chunking, see {@link
 * PassagePolicy}), runs all inputs of the call through the model in batches of similar length, and
 * cuts each passage's rows out of the output of the input it belongs to.
 */
final class PassageEncoding {
  private final OnnxTokenEncoder encoder;
  private final PassagePolicy policy;
  private final int prefixChars;

  PassageEncoding(OnnxTokenEncoder encoder, PassagePolicy policy) {
    this.encoder = encoder;
    this.policy = policy;
    this.prefixChars = encoder.config().documentPrefix().length();
  }

  /** One encoder input and the passages cut out of it (with each one's kept positions). */
  private static final class Input {
    final Tokenized tokens;
    final List<int[]> passages = new ArrayList<>(); // {document, passage}
    final List<boolean[]> keeps = new ArrayList<>();

    Input(Tokenized tokens) {
      this.tokens = tokens;
    }
  }

  List<EncodedPassages> encode(List<String> documents) {
    List<Input> inputs = new ArrayList<>();
    EncodedText[][] passages = new EncodedText[documents.size()][];
    int[][] charStarts = new int[documents.size()][];
    int[][] charEnds = new int[documents.size()][];
    for (int d = 0; d < documents.size(); d++) {
      Tokenized whole = encoder.tokenizeWhole(documents.get(d));
      int n = whole.length();
      int lead = 0;
      while (lead < n && whole.special()[lead]) lead++;
      int trail = 0;
      while (trail < n - lead && whole.special()[n - 1 - trail]) trail++;
      int content = n - lead - trail;
      int[][] grid =
          policy.cutsAtBoundaries()
              ? policy.passages(
                  PassageBoundaries.after(
                      encoder.config().documentPrefix() + documents.get(d),
                      whole.start(),
                      whole.end(),
                      lead,
                      content))
              : policy.passages(content);
      int count = grid[0].length;
      passages[d] = new EncodedText[count];
      charStarts[d] = new int[count];
      charEnds[d] = new int[count];
      for (int p = 0; p < count; p++)
        charSpan(whole, lead + grid[0][p], lead + grid[1][p], charStarts[d], charEnds[d], p);
      if (policy.mode() == PassagePolicy.Mode.LATE_CHUNKING) {
        int capacity = policy.macroWindow() - lead - trail;
        int[] macros = policy.macroStarts(content, capacity);
        Input[] macroInputs = new Input[macros.length];
        for (int p = 0; p < count; p++) {
          int m = PassagePolicy.bestMacro(macros, capacity, grid[0][p], grid[1][p]);
          if (macroInputs[m] == null) {
            int from = macros[m], to = Math.min(content, from + capacity);
            macroInputs[m] = add(inputs, whole.slice(lead, lead + from, lead + to, trail));
          }
          Input in = macroInputs[m];
          // Positions of the input: lead specials, content tokens from macros[m], trail specials.
          boolean[] keep = new boolean[in.tokens.length()];
          for (int i = 0; i < keep.length; i++) {
            boolean inPassage;
            if (i < lead) inPassage = p == 0;
            else if (i >= keep.length - trail) inPassage = p == count - 1;
            else {
              int t = macros[m] + i - lead;
              inPassage = t >= grid[0][p] && t < grid[1][p];
            }
            keep[i] = inPassage && encoder.keepDocumentRow(in.tokens, i);
          }
          in.passages.add(new int[] {d, p});
          in.keeps.add(keep);
        }
      } else {
        for (int p = 0; p < count; p++) {
          Input in = add(inputs, whole.slice(lead, lead + grid[0][p], lead + grid[1][p], trail));
          boolean[] keep = new boolean[in.tokens.length()];
          for (int i = 0; i < keep.length; i++) keep[i] = encoder.keepDocumentRow(in.tokens, i);
          in.passages.add(new int[] {d, p});
          in.keeps.add(keep);
        }
      }
    }
    run(inputs, Math.max(1, documents.size()), passages);
    List<EncodedPassages> out = new ArrayList<>(documents.size());
    int dim = encoder.config().dimension();
    for (int d = 0; d < documents.size(); d++)
      out.add(EncodedPassages.concat(Arrays.asList(passages[d]), charStarts[d], charEnds[d], dim));
    return out;
  }

  private Input add(List<Input> inputs, Tokenized t) {
    if (t.length() > policy.macroWindow())
      throw new IllegalArgumentException(
          "an encoder input of "
              + t.length()
              + " positions exceeds the model's "
              + policy.macroWindow()
              + "; give a smaller --window");
    Input in = new Input(t);
    inputs.add(in);
    return in;
  }

  /** Runs the inputs in batches of {@code batch}, shortest first, filling every passage. */
  private void run(List<Input> inputs, int batch, EncodedText[][] passages) {
    List<Input> sorted = new ArrayList<>(inputs);
    sorted.sort(java.util.Comparator.comparingInt(i -> i.tokens.length()));
    for (int from = 0; from < sorted.size(); from += batch) {
      List<Input> chunk = sorted.subList(from, Math.min(sorted.size(), from + batch));
      int maxLen = 0;
      List<Tokenized> tokens = new ArrayList<>(chunk.size());
      for (Input in : chunk) {
        tokens.add(in.tokens);
        maxLen = Math.max(maxLen, in.tokens.length());
      }
      float[] out = encoder.run(tokens, maxLen);
      for (int b = 0; b < chunk.size(); b++) {
        Input in = chunk.get(b);
        for (int k = 0; k < in.passages.size(); k++) {
          int[] dp = in.passages.get(k);
          passages[dp[0]][dp[1]] =
              encoder.annotate(
                  out, b * maxLen, in.tokens.length(), in.tokens, in.keeps.get(k), prefixChars);
        }
      }
    }
  }

  /** Characters of positions {@code [from, to)} of {@code whole}, in the document's text. */
  private void charSpan(Tokenized whole, int from, int to, int[] starts, int[] ends, int p) {
    int s = -1, e = -1;
    for (int i = from; i < to; i++) {
      if (whole.start()[i] < 0) continue;
      if (s < 0) s = whole.start()[i];
      e = Math.max(e, whole.end()[i]);
    }
    starts[p] = Math.max(0, s - prefixChars);
    ends[p] = Math.max(starts[p], e - prefixChars);
  }
}
