package dev.latte.searcher;

/** A Lucene document (index-wide doc id) and its score. */
public record ScoredDoc(int doc, float score) {}
