package dev.latte.cli;

import dev.latte.searcher.firststage.FirstStages;
import java.util.Iterator;

/**
 * The first stages' search parameters with defaults and meaning, for {@code --stage-param} help.
 */
final class StageParameterNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return FirstStages.DEFAULT.parameterHelp().iterator();
  }
}
