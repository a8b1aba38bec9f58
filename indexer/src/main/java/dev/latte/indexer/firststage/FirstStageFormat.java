package dev.latte.indexer.firststage;

/**
 * The on-disk identity of one first stage: its name (the folder {@code latte-<name>} beside the
 * main index, and what {@code --first-stage} calls it) and the version of its file layout. A first
 * stage written by another version is stale: rebuilt by eval, refused with a rebuild hint by
 * searches and by live maintenance. Each stage declares its own, next to its writer and reader;
 * bump the version on any layout change.
 */
public record FirstStageFormat(String name, int version) {
  public FirstStageFormat {
    if (name == null || !name.matches("[a-z][a-z0-9-]*"))
      throw new IllegalArgumentException(
          "a first stage is named in lower case letters, digits and '-', got '" + name + "'");
    if (version < 1) throw new IllegalArgumentException("format versions start at 1");
  }

  /**
   * The value of {@value FirstStageIndex#FORMAT_KEY} a structure written in this format carries.
   */
  public String stamp() {
    return name + "-" + version;
  }
}
