package io.modelpool.worker.capability.vision;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LineTextTest {

    @Test
    void latinLinesGetAsciiPunctuationAndChineseLinesStayAsRead() {
        assertThat(LineText.asciiPunctuation("Hello，world（a）：b；c。“d”")).isEqualTo("Hello,world(a):b;c.\"d\"");
        assertThat(LineText.finish(decoded("Hello，world"), 0, true)).isEqualTo("Hello,world");
        assertThat(LineText.finish(decoded("你好，世界"), 0, true))
                .as("not a Latin line")
                .isEqualTo("你好，世界");
        assertThat(LineText.finish(decoded("Hello，world"), 0, false))
                .as("switched off")
                .isEqualTo("Hello，world");
    }

    @Test
    void aLineIsLatinWhenLatinLettersOutnumberTheOthersTwoToOne() {
        assertThat(LineText.isLatin("Invoice 2024-07-15")).isTrue();
        assertThat(LineText.isLatin("PP-OCR 模型")).isTrue();
        assertThat(LineText.isLatin("OCR 文字识别")).isFalse();
        assertThat(LineText.isLatin("2024-07-15")).as("no letters").isFalse();
    }

    @Test
    void spacesGoOnlyOnLatinLinesAndNeverNextToASpaceTheModelWrote() {
        CtcDecoder.Decoded latin =
                new CtcDecoder.Decoded("ab c", 1f, List.of("a", "b", " ", "c"), new float[] {0, 0.5f, 0.5f, 0.5f});
        CtcDecoder.Decoded chinese = new CtcDecoder.Decoded("你好", 1f, List.of("你", "好"), new float[] {0, 0.9f});

        assertThat(LineText.finish(latin, 0.1, false)).isEqualTo("a b c");
        assertThat(LineText.finish(chinese, 0.1, false)).isEqualTo("你好");
    }

    private static CtcDecoder.Decoded decoded(String text) {
        List<String> tokens = text.codePoints().mapToObj(Character::toString).toList();
        return new CtcDecoder.Decoded(text, 1f, tokens, new float[tokens.size()]);
    }
}
