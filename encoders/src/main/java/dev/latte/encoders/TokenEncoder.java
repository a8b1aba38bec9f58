package dev.latte.encoders;

import java.util.List;

/** Turns text into one L2-normalised vector per token. Implementations are thread-safe. */
public interface TokenEncoder extends AutoCloseable {

  ModelConfig config();

  /** A stable fingerprint of the model files and config: indexes record it to detect a mismatch. */
  String fingerprint();

  default int dimension() {
    return config().dimension();
  }

  EncodedText encodeQuery(String query);

  /** Encodes a batch of documents (each title + text as one passage), one matrix per input. */
  List<EncodedText> encodeDocuments(List<String> documents);

  /**
   * Encodes documents of any length as passages ({@link PassagePolicy}). This default cuts each
   * document's own encoding on the policy's grid, which is right only for encoders whose token
   * vectors ignore their context (then windows and late chunking coincide); transformer encoders
   * override it.
   */
  default List<EncodedPassages> encodePassages(List<String> documents, PassagePolicy policy) {
    List<EncodedText> encoded = encodeDocuments(documents);
    List<EncodedPassages> out = new java.util.ArrayList<>(encoded.size());
    for (int i = 0; i < encoded.size(); i++)
      out.add(EncodedPassages.cut(encoded.get(i), documents.get(i), policy));
    return out;
  }

  @Override
  void close();
}
