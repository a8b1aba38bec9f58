package dev.latte.cli;

import dev.latte.searcher.LatteSearcher;
import java.util.Iterator;

/** The searcher's method names for picocli's {@code ${COMPLETION-CANDIDATES}} in help texts. */
final class MethodNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return LatteSearcher.methodNames().iterator();
  }
}
