package dev.latte.datasets;

/** One BEIR query: {@code _id} and {@code text}. */
public record Query(String id, String text) {}
