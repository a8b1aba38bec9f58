package dev.latte.searcher.firststage;

/**
 * One search-time tunable a first stage declares ({@link FirstStage#parameters()}): the CLI's
 * {@code --stage-param STAGE.NAME=VALUE}, its help and its validation are generated from these, so
 * a stage's settings live in the stage's package, not in a shared settings class.
 *
 * @param name the name after {@code STAGE.} (lower case, words joined by '-')
 * @param defaultValue the value chosen on SciFact's train queries (the stage's javadoc says how)
 * @param min the smallest accepted value
 * @param description what it does, for the help text
 */
public record StageParameter(String name, int defaultValue, int min, String description) {
  public StageParameter {
    if (!name.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException("parameter name '" + name + "' is not lower-case-words");
    }
    if (defaultValue < min) {
      throw new IllegalArgumentException(
          "default " + defaultValue + " of " + name + " is below its minimum " + min);
    }
  }

  /** {@code value}, or an error naming the parameter and the accepted range. */
  public int check(String stage, int value) {
    if (value < min) {
      throw new IllegalArgumentException(
          stage + "." + name + " must be >= " + min + ", got " + value);
    }
    return value;
  }
}
