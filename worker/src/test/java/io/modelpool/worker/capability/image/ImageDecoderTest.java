package io.modelpool.worker.capability.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.v1.ErrorCode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {

    private static final ImageLimits LIMITS = new ImageLimits(1 << 20, 4_000_000);

    @Test
    void acceptsPngJpegAndWebpFromTheirHeadersAndDecodesThemToBgr() throws Exception {
        for (String format : new String[] {"png", "jpeg"}) {
            ImageCheck check = ImageDecoder.check(ImageFixtures.small(format, 40, 30), "image/" + format, LIMITS);
            assertThat(check).isInstanceOf(ImageCheck.Accepted.class);
            BgrImage image = ImageDecoder.decode((ImageCheck.Accepted) check);
            assertThat(image.width()).isEqualTo(40);
            assertThat(image.height()).isEqualTo(30);
            assertThat(image.at(0, 0, 0)).as("white corner").isGreaterThan(240);
            assertThat(image.at(20, 15, 0)).as("blue of the bar").isBetween(80, 100);
            assertThat(image.at(20, 15, 2)).as("red of the bar").isBetween(20, 40);
        }
        byte[] webp = getClass()
                .getClassLoader()
                .getResourceAsStream("imageembedding/gradient.webp")
                .readAllBytes();
        ImageCheck check = ImageDecoder.check(webp, "image/webp", LIMITS);
        assertThat(check).isInstanceOf(ImageCheck.Accepted.class);
        BgrImage image = ImageDecoder.decode((ImageCheck.Accepted) check);
        // gradient.png: pixel (x, y) is RGB (32x, 32y, 16(x+y))
        assertThat(new int[] {image.at(3, 5, 2), image.at(3, 5, 1), image.at(3, 5, 0)})
                .containsExactly(96, 160, 128);
    }

    @Test
    void refusesEmptyOversizedMislabelledAndUnknownImagesWithTypedCodes() {
        byte[] png = ImageFixtures.small("png", 20, 20);
        assertThat(code(new byte[0], "image/png")).isEqualTo(ErrorCode.EMPTY_INPUT);
        assertThat(code(png, "image/gif")).isEqualTo(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
        assertThat(code(png, "text/plain")).isEqualTo(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
        assertThat(code(png, "image/jpeg")).as("a PNG labelled JPEG").isEqualTo(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
        assertThat(code("GIF89a....".getBytes(StandardCharsets.US_ASCII), "image/png"))
                .isEqualTo(ErrorCode.CORRUPT_IMAGE);
        assertThat(code(ImageFixtures.truncated(png, 0.1), "image/png"))
                .as("cut inside the header")
                .isEqualTo(ErrorCode.CORRUPT_IMAGE);
        assertThat(ImageDecoder.check(png, "image/png", new ImageLimits(png.length - 1, 4_000_000)))
                .isEqualTo(new ImageCheck.Refused(
                        ErrorCode.INPUT_TOO_LARGE,
                        "the image has " + png.length + " bytes; at most " + (png.length - 1)
                                + " are allowed (limits.max-image-bytes)"));
        assertThat(ImageFormat.ofMediaType("IMAGE/JPG; q=1")).contains(ImageFormat.JPEG);
    }

    @Test
    void refusesATwentyThousandSquareImageFromItsHeaderWithoutDecodingIt() {
        byte[] bomb = ImageFixtures.pngDeclaring(20_000, 20_000);

        ImageCheck check = ImageDecoder.check(bomb, "image/png", LIMITS);

        // the forged header sits on a 16x16 image's data: a decoder reading past the header would find too few
        // pixels and answer CORRUPT_IMAGE, or try to allocate 1.6 GB; only the header's size can give this answer
        assertThat(bomb).as("a 16x16 PNG behind a 20000x20000 header").hasSizeLessThan(4_096);
        assertThat(check)
                .isEqualTo(new ImageCheck.Refused(
                        ErrorCode.INPUT_TOO_LARGE,
                        "the image is 20000x20000"
                                + " (400000000 pixels); at most 4000000 pixels are allowed (limits.max-image-pixels)"));
    }

    @Test
    void truncatedPngAndJpegDataFailToDecodeAsCorrupt() {
        for (String format : new String[] {"png", "jpeg"}) {
            byte[] data = ImageFixtures.truncated(ImageFixtures.small(format, 200, 150), 0.6);
            ImageCheck check = ImageDecoder.check(data, "image/" + format, LIMITS);
            assertThat(check).as(format + " header is intact").isInstanceOf(ImageCheck.Accepted.class);
            assertThatThrownBy(() -> ImageDecoder.decode((ImageCheck.Accepted) check))
                    .as(format)
                    .isInstanceOf(CorruptImageException.class);
        }
    }

    private static ErrorCode code(byte[] data, String mediaType) {
        ImageCheck check = ImageDecoder.check(data, mediaType, LIMITS);
        assertThat(check).as(mediaType).isInstanceOf(ImageCheck.Refused.class);
        return ((ImageCheck.Refused) check).code();
    }
}
