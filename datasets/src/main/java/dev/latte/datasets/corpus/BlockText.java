package dev.latte.datasets.corpus;

import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeVisitor;

/**
 * The text of parsed HTML or SGML with its paragraphs kept: block elements ({@code <p>}, headings,
 * list items, {@code <div>}, TREC's {@code <P>}...) are separated by a blank line, the way text and
 * Markdown files separate paragraphs, so long-document passages can be cut at them ({@code --cut
 * paragraphs}); inside a block, whitespace is collapsed as {@link Element#text()} does. Script and
 * style contents are not text nodes and are left out.
 */
final class BlockText implements NodeVisitor {
  private final StringBuilder out = new StringBuilder();
  private boolean breakPending;

  private BlockText() {}

  static String of(Element root) {
    BlockText b = new BlockText();
    root.traverse(b);
    return b.out.toString().strip();
  }

  @Override
  public void head(Node node, int depth) {
    if (node instanceof TextNode t) append(t.text());
    else if (node instanceof Element e) {
      if (e.isBlock()) breakPending = true;
      else if (e.nameIs("br")) append(" "); // a line break inside a paragraph separates words
    }
  }

  @Override
  public void tail(Node node, int depth) {
    if (node instanceof Element e && e.isBlock()) breakPending = true;
  }

  private void append(String text) {
    if (text.isBlank()) {
      if (!out.isEmpty() && !breakPending && out.charAt(out.length() - 1) != ' ') out.append(' ');
      return;
    }
    if (breakPending && !out.isEmpty()) {
      while (!out.isEmpty() && out.charAt(out.length() - 1) == ' ') out.setLength(out.length() - 1);
      out.append("\n\n");
      text = text.stripLeading();
    } else if (!out.isEmpty() && out.charAt(out.length() - 1) == ' ') text = text.stripLeading();
    else if (out.isEmpty()) text = text.stripLeading();
    breakPending = false;
    out.append(text);
  }
}
