package io.modelpool.worker.capability.image;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageOpsTest {

    /** A w x h image whose pixel (x, y) is blue x, green y, red 7. */
    private static BgrImage coordinates(int w, int h) {
        byte[] data = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                data[(y * w + x) * 3] = (byte) x;
                data[(y * w + x) * 3 + 1] = (byte) y;
                data[(y * w + x) * 3 + 2] = 7;
            }
        }
        return new BgrImage(w, h, data);
    }

    @Test
    void halvingAveragesEachTwoByTwoBlockWithHalfPixelCentres() {
        BgrImage half = ImageOps.resize(coordinates(8, 6), 4, 3);

        assertThat(half.width()).isEqualTo(4);
        assertThat(half.at(1, 2, 0)).as("mean of x 2 and 3, rounded half up").isEqualTo(3);
        assertThat(half.at(1, 2, 1)).as("mean of y 4 and 5").isEqualTo(5);
        assertThat(half.at(1, 2, 2)).isEqualTo(7);
    }

    @Test
    void aQuarterTurnCounterClockwiseAndAHalfTurnMovePixelsLikeNumpy() {
        BgrImage src = coordinates(5, 3);

        BgrImage turned = ImageOps.rotate90(src);
        assertThat(turned.width()).isEqualTo(3);
        assertThat(turned.height()).isEqualTo(5);
        // numpy.rot90: out[y][x] = in[x][w - 1 - y]; the top-right corner comes to the top-left
        assertThat(new int[] {turned.at(0, 0, 0), turned.at(0, 0, 1)}).containsExactly(4, 0);
        BgrImage flipped = ImageOps.rotate180(src);
        assertThat(new int[] {flipped.at(0, 0, 0), flipped.at(0, 0, 1)}).containsExactly(4, 2);
    }

    @Test
    void cropStraightensAnAxisAlignedBoxToItsPixels() {
        BgrImage src = coordinates(20, 10);

        BgrImage crop = ImageOps.crop(src, new float[] {5, 2, 11, 2, 11, 6, 5, 6}, 6, 4);

        assertThat(crop.width()).isEqualTo(6);
        assertThat(new int[] {crop.at(0, 0, 0), crop.at(0, 0, 1)}).containsExactly(5, 2);
        assertThat(new int[] {crop.at(5, 3, 0), crop.at(5, 3, 1)}).containsExactly(10, 5);
    }
}
