package io.modelpool.worker.capability.vision;

import io.modelpool.worker.runtime.ModelSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy CTC decoding (Graves et al., ICML 2006) over PP-OCR's recognition output: per time step take the most
 * probable class, merge repeats, drop the blank. Between two characters it also keeps the most the space class
 * was believed over the blank steps that separate them, which {@link LineText} uses to restore spaces.
 * Class 0 is the blank, class i (1..n) is the keys file's line
 * i, and class n + 1 is a space (PP-OCR's {@code use_space_char}).
 *
 * <p>Immutable and thread-safe.
 */
final class CtcDecoder {

    private final String[] characters;

    private CtcDecoder(String[] characters) {
        this.characters = characters;
    }

    /** Reads a keys file: UTF-8, one character (or character sequence) per line. */
    static CtcDecoder load(ModelSource keys) throws IOException {
        String text = new String(keys.readAllBytes(), StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(text.lines().toList());
        if (lines.isEmpty()) {
            throw new IOException("keys file " + keys + " is empty");
        }
        lines.add(SPACE);
        return new CtcDecoder(lines.toArray(String[]::new));
    }

    /** Classes the model must output: blank, the keys, space. */
    int classes() {
        return characters.length + 1;
    }

    /** The space class's token. */
    static final String SPACE = " ";

    /**
     * A decoded line: its text, the mean probability of the characters kept (0 when none), the characters kept
     * ({@code tokens}, whose concatenation is the text) and, per character, the highest probability the space
     * class reached over the blank time steps between the previous character's run and this one's (0 for the
     * first).
     */
    record Decoded(String text, float confidence, List<String> tokens, float[] spaceBefore) {}

    /**
     * Decodes one line from {@code probs}, {@code steps} rows of {@link #classes()} probabilities starting at
     * {@code offset}.
     */
    Decoded decode(float[] probs, int offset, int steps, int classes) {
        StringBuilder text = new StringBuilder();
        List<String> tokens = new ArrayList<>();
        float[] spaceBefore = new float[steps];
        int space = characters.length; // the class of the appended space
        double sum = 0;
        int kept = 0;
        int previous = -1;
        float gapSpace = 0;
        for (int t = 0; t < steps; t++) {
            int row = offset + t * classes;
            int best = 0;
            float bestP = probs[row];
            for (int c = 1; c < classes; c++) {
                if (probs[row + c] > bestP) {
                    bestP = probs[row + c];
                    best = c;
                }
            }
            if (best == 0) {
                if (space < classes) {
                    gapSpace = Math.max(gapSpace, probs[row + space]);
                }
            } else if (best != previous && best - 1 < characters.length) {
                text.append(characters[best - 1]);
                spaceBefore[tokens.size()] = tokens.isEmpty() ? 0 : gapSpace;
                tokens.add(characters[best - 1]);
                sum += bestP;
                kept++;
                gapSpace = 0;
            } else {
                gapSpace = 0;
            }
            previous = best;
        }
        return new Decoded(
                text.toString(),
                kept == 0 ? 0f : (float) (sum / kept),
                List.copyOf(tokens),
                Arrays.copyOf(spaceBefore, tokens.size()));
    }
}
