package dev.latte.cli;

import dev.latte.searcher.LatteSearcher;
import dev.latte.searcher.firststage.FirstStages;
import java.util.Iterator;
import java.util.Map;

/**
 * Help-text lists generated from the registries (picocli's {@code ${COMPLETION-CANDIDATES}}), so
 * that {@code --help} names every method and first stage there is, and only those.
 */
final class RegistryNames {
  private RegistryNames() {}

  /** Every search method, with the first stage it needs in parentheses. */
  static final class Methods implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return LatteSearcher.methodStages().entrySet().stream().map(Methods::label).iterator();
    }

    private static String label(Map.Entry<String, String> e) {
      if (e.getKey().equals("maxsim-hamming")) return e.getKey() + " (bit index)";
      return e.getValue() == null ? e.getKey() : e.getKey() + " (needs " + e.getValue() + ")";
    }
  }

  /** Every first stage. */
  static final class Stages implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return FirstStages.names().iterator();
    }
  }
}
