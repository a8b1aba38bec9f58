package dev.latte.searcher;

import java.util.Locale;

/**
 * How a document indexed as several passages ({@code --long-docs windows|late-chunking}) is scored:
 * MaxSim over the union of its passages' tokens (one document-level matrix: for every query token
 * the best document token anywhere, the late-interaction answer), or the score of its best passage
 * (MaxP: the maximum over passages of MaxSim over the passage's rows). Documents of one passage
 * score the same either way.
 */
public enum PassageScoring {
  UNION,
  MAXP;

  /**
   * Union-MaxSim: chosen on SciFact's train queries (see the README's long-document section for the
   * measured table).
   */
  public static final PassageScoring DEFAULT = UNION;

  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static PassageScoring fromName(String name) {
    for (PassageScoring s : values())
      if (s.cliName().equals(name.toLowerCase(Locale.ROOT))) return s;
    throw new IllegalArgumentException(
        "unknown passage scoring '" + name + "'; valid: union, maxp");
  }
}
