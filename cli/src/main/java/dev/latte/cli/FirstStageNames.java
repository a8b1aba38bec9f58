package dev.latte.cli;

import dev.latte.searcher.firststage.FirstStages;
import java.util.Iterator;

/** The registered first stages for picocli's {@code ${COMPLETION-CANDIDATES}} in help texts. */
final class FirstStageNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return FirstStages.names().iterator();
  }
}
