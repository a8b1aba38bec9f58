package dev.latte.core.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.latte.core.TokenMatrix;
import dev.latte.core.codec.StoredTokenMatrix.CorruptTokenMatrixException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The residual codecs' training, packing, round trip and stored form. */
public class ResidualCodebookTest {

  /** Unit rows. */
  static float[] unitRows(Random rnd, int rows, int dim) {
    float[] data = new float[rows * dim];
    for (int i = 0; i < data.length; i++) data[i] = (float) rnd.nextGaussian();
    TokenMatrix.normalizeRows(data, rows, dim);
    return data;
  }

  /**
   * Points scattered around {@code k} random unit centres, re-normalised: clustered like tokens.
   */
  static float[] clustered(Random rnd, float[] centres, int k, int rows, int dim, double spread) {
    float[] data = new float[rows * dim];
    for (int t = 0; t < rows; t++) {
      int c = rnd.nextInt(k);
      for (int d = 0; d < dim; d++)
        data[t * dim + d] = (float) (centres[c * dim + d] + spread * rnd.nextGaussian());
    }
    TokenMatrix.normalizeRows(data, rows, dim);
    return data;
  }

  /** A codebook fitted on a clustered sample, its centroids the true centres. */
  public static ResidualCodebook codebook(Random rnd, int bits, int k, int dim, int sampleRows) {
    float[] centres = unitRows(rnd, k, dim);
    float[] sample = clustered(rnd, centres, k, sampleRows, dim, 0.3 / Math.sqrt(dim));
    ResidualCodebook probe =
        new ResidualCodebook(bits, dim, centres, cutoffs0(bits, dim), w0(bits, dim));
    int[] assign = new int[sampleRows];
    for (int t = 0; t < sampleRows; t++) assign[t] = probe.nearestCentroid(sample, t * dim);
    return ResidualCodebook.fit(bits, centres, dim, sample, sampleRows, assign);
  }

  private static float[] cutoffs0(int bits, int dim) {
    return new float[dim * ((1 << bits) - 1)];
  }

  private static float[] w0(int bits, int dim) {
    return new float[dim << bits];
  }

  @Test
  void packsEachDimensionsCodeLeastSignificantBitsFirst() {
    // dim 3, 2 bits, one centroid at 0; cutoffs -0.5, 0, 0.5 in every dimension.
    float[] cut = {-0.5f, 0f, 0.5f, -0.5f, 0f, 0.5f, -0.5f, 0f, 0.5f};
    float[] w = {-1f, -0.25f, 0.25f, 1f, -1f, -0.25f, 0.25f, 1f, -2f, -0.2f, 0.2f, 2f};
    ResidualCodebook book = new ResidualCodebook(2, 3, new float[3], cut, w);
    TokenMatrix m = TokenMatrix.of(new float[][] {{0.7f, -0.7f, 0.1f}, {-0.1f, 0f, 0.6f}});
    byte[] value = book.encode(m, new int[] {0, 0});
    assertEquals(StoredTokenMatrix.HEADER_BYTES + 2 * (2 + 1), value.length);
    assertEquals(TokenCodec.RESIDUAL_2.id(), value[1]);
    int p = StoredTokenMatrix.HEADER_BYTES;
    // ids (u16 LE) first, then one code byte per token: codes 3,0,2 -> 0b10_00_11; 1,2,3 ->
    // 0b11_10_01
    assertArrayEquals(
        new byte[] {0, 0, 0, 0, 0b100011, 0b111001}, java.util.Arrays.copyOfRange(value, p, p + 6));
    TokenMatrix back = book.decode(value, 0, value.length);
    assertArrayEquals(new float[] {1f, -1f, 0.2f, -0.25f, 0.25f, 2f}, back.data());
  }

  @Test
  void decodingIsCentroidPlusBucketWeightAndMoreBitsErrLess() {
    int dim = 96, k = 16;
    double previous = Double.POSITIVE_INFINITY;
    for (int bits : new int[] {1, 2, 4}) {
      Random r = new Random(5); // same centres and data for every bit width
      ResidualCodebook book = codebook(r, bits, k, dim, 2000).withoutScales();
      float[] data = clustered(r, book.centroids(), k, 300, dim, 0.3 / Math.sqrt(dim));
      TokenMatrix m = new TokenMatrix(data, 300, dim);
      byte[] value = book.encode(m);
      TokenMatrix back = book.decode(value, 0, value.length);
      int payload = StoredTokenMatrix.HEADER_BYTES;
      int codes = TokenCodec.residualCodesOffset(payload, 300);
      double err = 0, centroidOnly = 0;
      for (int t = 0; t < 300; t++) {
        int c = TokenCodec.residualCentroid(value, payload, t);
        assertEquals(book.nearestCentroid(data, t * dim), c);
        for (int d = 0; d < dim; d++) {
          int code = book.code(value, codes + t * book.residualBytes(), d);
          assertEquals(book.centroid(c, d) + book.weight(d, code), back.data()[t * dim + d]);
          err += sq(data[t * dim + d] - back.data()[t * dim + d]);
          centroidOnly += sq(data[t * dim + d] - book.centroid(c, d));
        }
      }
      assertTrue(err < previous, bits + " bits: squared error " + err + " vs " + previous);
      assertTrue(
          err < 0.5 * centroidOnly, bits + " bits: " + err + " vs centroid only " + centroidOnly);
      previous = err;
    }
  }

  private static double sq(double x) {
    return x * x;
  }

  @Test
  void symmetricSampleSplitsAtZeroWithBucketMeans() {
    // One dimension, one centroid at 0: the residual values are the sample itself.
    float[] sample = {0.4f, -0.3f, 0.1f, -0.1f, 0.2f, 0.3f, -0.2f, -0.4f};
    int[] assign = new int[8];
    ResidualCodebook book = ResidualCodebook.fit(1, new float[] {0f}, 1, sample, 8, assign);
    assertArrayEquals(new float[] {0f}, book.cutoffs(), 1e-6f);
    assertEquals(-0.25f, book.weights()[0], 1e-6f);
    assertEquals(0.25f, book.weights()[1], 1e-6f);
    // Every value equal: empty buckets decode to the boundary, not NaN.
    ResidualCodebook flat =
        ResidualCodebook.fit(2, new float[] {0f}, 1, new float[] {0.5f, 0.5f, 0.5f}, 3, new int[3]);
    for (float w : flat.weights()) assertTrue(Float.isFinite(w), flat.weights().toString());
    for (float c : flat.cutoffs()) assertTrue(Float.isFinite(c), flat.cutoffs().toString());
  }

  /**
   * Real residual values are heavy-tailed; the fit must be the least-squares quantizer (each cutoff
   * the midpoint of its two weights, each weight its bucket's mean), not the equal-population one,
   * which lumps the tails together. Laplace samples with a different scale per dimension.
   */
  @Test
  void heavyTailedResidualsGetTheLeastSquaresQuantizerNotQuantiles() {
    Random rnd = new Random(11);
    int dim = 3, n = 20_000;
    float[] sample = new float[n * dim];
    for (int t = 0; t < n; t++)
      for (int d = 0; d < dim; d++) {
        double u = rnd.nextDouble() - 0.5;
        sample[t * dim + d] =
            (float) (-(d + 1) * 0.01 * Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
      }
    for (int bits : new int[] {1, 2, 4}) {
      int buckets = 1 << bits;
      ResidualCodebook book =
          ResidualCodebook.fit(bits, new float[dim], dim, sample, n, new int[n]);
      float[] cut = book.cutoffs(), w = book.weights();
      for (int d = 0; d < dim; d++) {
        double[] sum = new double[buckets];
        int[] count = new int[buckets];
        double fitted = 0, quantile = 0;
        float[] sorted = new float[n];
        for (int t = 0; t < n; t++) sorted[t] = sample[t * dim + d];
        java.util.Arrays.sort(sorted);
        float[] qCut = new float[buckets - 1];
        for (int j = 1; j < buckets; j++) qCut[j - 1] = sorted[j * n / buckets];
        double[] qSum = new double[buckets];
        int[] qCount = new int[buckets];
        for (float v : sorted) {
          int q = 0;
          while (q < buckets - 1 && v >= qCut[q]) q++;
          qSum[q] += v;
          qCount[q]++;
        }
        for (int t = 0; t < n; t++) {
          float v = sample[t * dim + d];
          byte[] code = new byte[book.codeStride()];
          float[] row = new float[dim];
          row[d] = v;
          book.encodeResidual(row, 0, 0, code, 0);
          int b = book.code(code, 0, d);
          sum[b] += v;
          count[b]++;
          fitted += sq(v - book.weight(d, b));
          int q = 0;
          while (q < buckets - 1 && v >= qCut[q]) q++;
          quantile += sq(v - qSum[q] / qCount[q]);
        }
        for (int j = 0; j < buckets - 1; j++)
          assertEquals(
              (w[d * buckets + j] + w[d * buckets + j + 1]) / 2,
              cut[d * (buckets - 1) + j],
              1e-6,
              bits + " bits, dim " + d + ": cutoff " + j + " is not the midpoint of its weights");
        for (int b = 0; b < buckets; b++)
          if (count[b] > 0)
            assertEquals(
                sum[b] / count[b],
                w[d * buckets + b],
                1e-5 * (d + 1),
                bits + " bits, dim " + d + ": weight " + b + " is not its bucket's mean");
        assertTrue(
            fitted < (bits == 1 ? 1.0001 : 0.97) * quantile,
            bits + " bits, dim " + d + ": squared error " + fitted + " vs quantiles " + quantile);
      }
    }
  }

  @Test
  void awkwardSizesRoundTrip() throws IOException {
    for (int bits : new int[] {1, 2, 4}) {
      for (int dim : new int[] {1, 3, 5, 7, 63, 65, 385}) {
        Random rnd = new Random(dim * 31 + bits);
        ResidualCodebook fitted = codebook(rnd, bits, 3, dim, 50);
        for (ResidualCodebook book : new ResidualCodebook[] {fitted.withoutScales(), fitted}) {
          assertEquals((dim * bits + 7) / 8, book.residualBytes());
          assertEquals(book.residualBytes() + (book.scaled() ? 1 : 0), book.codeStride());
          assertEquals(2 + book.residualBytes(), book.codec().bytesPerToken(dim));
          for (int rows : new int[] {0, 1, 2, 17}) {
            TokenMatrix m = new TokenMatrix(unitRows(rnd, rows, dim), rows, dim);
            byte[] value = book.encode(m);
            StoredTokenMatrix.Header h = StoredTokenMatrix.header(value, 0, value.length, dim);
            assertEquals(book.codec(), h.codec());
            assertEquals(rows, h.tokens());
            assertEquals(book.scaled(), h.scaled());
            assertEquals(StoredTokenMatrix.HEADER_BYTES + book.payloadBytes(rows), value.length);
            // Padding bits of the last code byte stay 0.
            int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, rows);
            int used = dim * bits % 8;
            for (int t = 0; used != 0 && t < rows; t++) {
              int last = value[codes + t * book.codeStride() + book.residualBytes() - 1] & 0xFF;
              assertEquals(0, last >>> used, "padding bits of token " + t);
            }
            TokenMatrix back = book.decode(value, 0, value.length);
            assertEquals(rows * dim, back.data().length);
            for (int t = 0; t < rows; t++)
              for (int d = 0; d < dim; d++) {
                int c = TokenCodec.residualCentroid(value, StoredTokenMatrix.HEADER_BYTES, t);
                int at = codes + t * book.codeStride();
                int code = book.code(value, at, d);
                float unscaled = book.centroid(c, d) + book.weight(d, code);
                assertEquals(
                    book.scaled() ? book.scaleOf(value, at) * unscaled : unscaled,
                    back.data()[t * dim + d]);
              }
          }
          ResidualCodebook copy = roundTrip(book);
          assertEquals(book.fingerprint(), copy.fingerprint());
          assertArrayEquals(book.centroids(), copy.centroids());
          assertArrayEquals(book.cutoffs(), copy.cutoffs());
          assertArrayEquals(book.weights(), copy.weights());
          assertEquals(book.scaled(), copy.scaled());
          assertEquals(book.tangent(), copy.tangent());
          assertEquals(book.scaleLow(), copy.scaleLow());
          assertEquals(book.scaleStep(), copy.scaleStep());
        }
      }
    }
  }

  /**
   * Per-token scales: the least-squares factor x.x̂ / x̂.x̂ (x̂ = c + r) quantised to a byte within
   * half a step of the fitted range; scaled tokens come back nearer the tokens they code than the
   * unscaled ones (squared error, summed); an unscaled codebook is written as version 1 (as before
   * scales existed) and its values are refused by a scaled codebook and vice versa.
   */
  @Test
  void scalesAreTheLeastSquaresFactorWithinHalfAStep() throws IOException {
    int dim = 64, k = 8;
    for (int bits : new int[] {1, 2, 4}) {
      Random r = new Random(17);
      ResidualCodebook book = codebook(r, bits, k, dim, 2000);
      assertTrue(book.scaled());
      assertTrue(book.scaleLow() > 0f && book.scaleStep() > 0f, book.toString());
      ResidualCodebook plain = book.withoutScales();
      float[] data = clustered(r, book.centroids(), k, 300, dim, 0.3 / Math.sqrt(dim));
      TokenMatrix m = new TokenMatrix(data, 300, dim);
      byte[] value = book.encode(m), plainValue = plain.encode(m);
      // At 1 bit the codes are of the token projected onto its centroid's tangent plane.
      assertEquals(bits == ResidualCodebook.TANGENT_BITS, book.tangent());
      byte[] sameCodes = book.tangent() ? plain.encode(projected(book, m)) : plainValue;
      TokenMatrix back = book.decode(value, 0, value.length);
      TokenMatrix plainBack = plain.decode(plainValue, 0, plainValue.length);
      int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, 300);
      double scaledErr = 0, plainErr = 0;
      float hi = book.scale(255);
      for (int t = 0; t < 300; t++) {
        double xd = 0, dd = 0;
        int c = TokenCodec.residualCentroid(value, StoredTokenMatrix.HEADER_BYTES, t);
        for (int d = 0; d < dim; d++) {
          float x = data[t * dim + d], xs = back.data()[t * dim + d];
          float xp = plainBack.data()[t * dim + d];
          // x̂ = c + r before the scale, from the stored codes.
          float xh =
              book.centroid(c, d)
                  + book.weight(d, book.code(value, codes + t * book.codeStride(), d));
          scaledErr += (xs - x) * (double) (xs - x);
          plainErr += (xp - x) * (double) (xp - x);
          xd += (double) x * xh;
          dd += (double) xh * xh;
        }
        // The stored scale is the nearest code of x.x̂ / x̂.x̂ (clamped to the fitted range).
        double ratio = Math.min(Math.max(xd / dd, book.scaleLow()), hi);
        float s = book.scaleOf(value, codes + t * book.codeStride());
        assertEquals(ratio, s, book.scaleStep() / 2 + 1e-6, "token " + t);
        // Same codes and ids as without scales (of the projected token at 1 bit): only the scale
        // byte is added.
        for (int d = 0; d < dim; d++)
          assertEquals(
              plain.code(sameCodes, codes + t * plain.codeStride(), d),
              book.code(value, codes + t * book.codeStride(), d));
      }
      assertTrue(
          scaledErr < plainErr, bits + " bits: squared error " + scaledErr + " vs " + plainErr);
      // Versions: unscaled writes version 1; a scaled value is refused by an unscaled codebook.
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      plain.writeTo(new DataOutputStream(bytes));
      assertEquals(1, bytes.toByteArray()[7]);
      assertEquals(plain.fingerprint(), roundTrip(plain).fingerprint());
      assertTrue(!book.fingerprint().equals(plain.fingerprint()));
      var mixed =
          assertThrows(
              CorruptTokenMatrixException.class, () -> plain.decode(value, 0, value.length));
      assertTrue(mixed.getMessage().contains("scales"), mixed.getMessage());
      assertThrows(
          CorruptTokenMatrixException.class, () -> book.decode(plainValue, 0, plainValue.length));
    }
  }

  /** Each row x of {@code m} as the tangent codes see it: x / (x.c), c its nearest centroid. */
  static TokenMatrix projected(ResidualCodebook book, TokenMatrix m) {
    int dim = m.dim();
    float[] out = m.data().clone();
    for (int t = 0; t < m.rows(); t++) {
      int c = book.nearestCentroid(m.data(), t * dim);
      double xc = 0;
      for (int d = 0; d < dim; d++) xc += (double) out[t * dim + d] * book.centroid(c, d);
      float f = xc > ResidualCodebook.MIN_TANGENT_DOT ? (float) (1 / xc) : 1f;
      for (int d = 0; d < dim; d++) out[t * dim + d] = out[t * dim + d] * f;
    }
    return new TokenMatrix(out, m.rows(), dim);
  }

  /**
   * 1-bit codebooks code tangent residuals x / (x.c) - c (version 3): the codes are the plain codes
   * of the projected token, decoding is unchanged (the same bytes decode alike through a plain
   * codebook of the same parameters), a token nearly orthogonal to the centroid it is coded against
   * keeps the plain residual, and a 1-bit codebook written before (version 2, plain residuals)
   * reads back as such and is not of the current form (caches re-code it).
   */
  @Test
  void oneBitCodebooksCodeTangentResiduals() throws IOException {
    int dim = 65, k = 6;
    Random r = new Random(23);
    ResidualCodebook book = codebook(r, 1, k, dim, 2000);
    assertTrue(book.tangent() && book.scaled() && book.currentForm(), book.toString());
    ResidualCodebook two = codebook(new Random(23), 2, k, dim, 2000);
    assertTrue(!two.tangent() && two.currentForm(), two.toString());
    assertTrue(!book.withoutScales().tangent() && !book.withoutScales().currentForm());
    // The same parameters as a version-2 codebook (plain residuals, scales).
    ResidualCodebook v2 =
        new ResidualCodebook(
            1,
            dim,
            book.centroids(),
            book.cutoffs(),
            book.weights(),
            true,
            book.scaleLow(),
            book.scaleStep());
    assertTrue(!v2.tangent() && !v2.currentForm());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    book.writeTo(new DataOutputStream(bytes));
    assertEquals(3, bytes.toByteArray()[7]);
    ResidualCodebook copy = roundTrip(book);
    assertTrue(copy.tangent());
    assertEquals(book.fingerprint(), copy.fingerprint());
    bytes.reset();
    v2.writeTo(new DataOutputStream(bytes));
    assertEquals(2, bytes.toByteArray()[7]);
    assertTrue(!roundTrip(v2).tangent());
    assertTrue(!v2.fingerprint().equals(book.fingerprint()));

    float[] data = clustered(r, book.centroids(), k, 200, dim, 0.5 / Math.sqrt(dim));
    TokenMatrix m = new TokenMatrix(data, 200, dim);
    byte[] value = book.encode(m);
    byte[] expected = v2.encode(projected(book, m));
    int codes = TokenCodec.residualCodesOffset(StoredTokenMatrix.HEADER_BYTES, 200);
    for (int t = 0; t < 200; t++)
      for (int d = 0; d < dim; d++)
        assertEquals(
            v2.code(expected, codes + t * v2.codeStride(), d),
            book.code(value, codes + t * book.codeStride(), d),
            "token " + t + ", dimension " + d);
    assertArrayEquals(
        v2.decode(value, 0, value.length).data(), book.decode(value, 0, value.length).data());
    // Coded against a centroid it is (nearly) orthogonal to: the plain residual.
    float[] orthogonal = book.centroids();
    float[] x = new float[dim];
    double cc = 0;
    for (int d = 0; d < dim; d++) {
      x[d] = orthogonal[dim + d];
      cc += (double) orthogonal[dim + d] * orthogonal[d];
    }
    for (int d = 0; d < dim; d++) x[d] -= (float) (cc * orthogonal[d]);
    TokenMatrix one = new TokenMatrix(x, 1, dim);
    byte[] tangentValue = book.encode(one, new int[] {0});
    byte[] plainValue = v2.encode(one, new int[] {0});
    assertArrayEquals(plainValue, tangentValue);
  }

  static ResidualCodebook roundTrip(ResidualCodebook book) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    book.writeTo(new DataOutputStream(bytes));
    return ResidualCodebook.readFrom(
        new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
  }

  @Test
  void badInputSaysWhatIsWrong() throws IOException {
    ResidualCodebook book = codebook(new Random(2), 2, 4, 8, 40);
    var enumAlone =
        assertThrows(
            IllegalStateException.class,
            () -> TokenCodec.RESIDUAL_2.encode(TokenMatrix.of(new float[][] {{1f}})));
    assertTrue(enumAlone.getMessage().contains("ResidualCodebook"), enumAlone.getMessage());
    TokenMatrix m = new TokenMatrix(unitRows(new Random(3), 2, 8), 2, 8);
    var id = assertThrows(IllegalArgumentException.class, () -> book.encode(m, new int[] {0, 4}));
    assertTrue(id.getMessage().contains("centroid id 4"), id.getMessage());
    var dim =
        assertThrows(
            IllegalArgumentException.class, () -> book.encode(new TokenMatrix(new float[9], 1, 9)));
    assertTrue(dim.getMessage().contains("9-d"), dim.getMessage());
    byte[] value = book.encode(m);
    byte[] otherCodec = TokenCodec.INT8.encode(m);
    var codec =
        assertThrows(
            CorruptTokenMatrixException.class, () -> book.decode(otherCodec, 0, otherCodec.length));
    assertTrue(codec.getMessage().contains("int8"), codec.getMessage());
    value[StoredTokenMatrix.HEADER_BYTES] = 9; // centroid id 9 of 4
    var corrupt =
        assertThrows(CorruptTokenMatrixException.class, () -> book.decode(value, 0, value.length));
    assertTrue(corrupt.getMessage().contains("centroid id 9"), corrupt.getMessage());
    var magic =
        assertThrows(
            CorruptTokenMatrixException.class,
            () ->
                ResidualCodebook.readFrom(
                    new DataInputStream(new ByteArrayInputStream(new byte[20]))));
    assertTrue(magic.getMessage().contains("magic"), magic.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TokenCodec.residual(3));
    assertEquals(TokenCodec.RESIDUAL_4, TokenCodec.fromName("residual-4"));
  }
}
