package io.modelpool.worker.capability.vision;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.worker.runtime.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CtcDecoderTest {

    @Test
    void mergesRepeatsDropsBlanksAndMapsTheClassAfterTheKeysToASpace(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys.txt");
        Files.writeString(keys, "a\nb\nc");
        CtcDecoder decoder = CtcDecoder.load(new ModelSource("file:" + keys));
        assertThat(decoder.classes()).as("blank, a, b, c, space").isEqualTo(5);
        // steps: a a blank a space b b c  ->  "aa bc"
        int[] best = {1, 1, 0, 1, 4, 2, 2, 3};
        float[] probs = new float[best.length * 5];
        for (int t = 0; t < best.length; t++) {
            probs[t * 5 + best[t]] = t == 0 ? 0.5f : 1f;
        }

        CtcDecoder.Decoded d = decoder.decode(probs, 0, best.length, 5);

        assertThat(d.text()).isEqualTo("aa bc");
        assertThat(d.confidence()).as("mean over the 5 kept steps").isEqualTo((0.5f + 4f) / 5);
        assertThat(d.tokens()).containsExactly("a", "a", " ", "b", "c");
        assertThat(decoder.decode(new float[10], 0, 2, 5).text())
                .as("all blank")
                .isEmpty();
    }

    @Test
    void keepsTheSpaceClassesHighestProbabilityOverTheBlankStepsBetweenTwoCharacters(@TempDir Path dir)
            throws Exception {
        Path keys = dir.resolve("keys.txt");
        Files.writeString(keys, "a\nb");
        CtcDecoder decoder = CtcDecoder.load(new ModelSource("file:" + keys));
        // classes: blank, a, b, space; steps: a, blank (space 0.2), blank (space 0.3), b, blank (space 0.4), a
        float[][] steps = {
            {0, 1, 0, 0}, {0.8f, 0, 0, 0.2f}, {0.7f, 0, 0, 0.3f}, {0, 0, 1, 0}, {0.6f, 0, 0, 0.4f}, {0, 1, 0, 0}
        };
        float[] probs = new float[steps.length * 4];
        for (int t = 0; t < steps.length; t++) {
            System.arraycopy(steps[t], 0, probs, t * 4, 4);
        }

        CtcDecoder.Decoded d = decoder.decode(probs, 0, steps.length, 4);

        assertThat(d.text()).as("greedy: the blank wins every gap").isEqualTo("aba");
        assertThat(d.spaceBefore()).containsExactly(0f, 0.3f, 0.4f);
        assertThat(LineText.withSpaces(d, 0.35)).isEqualTo("ab a");
        assertThat(LineText.withSpaces(d, 0.25)).isEqualTo("a b a");
    }
}
