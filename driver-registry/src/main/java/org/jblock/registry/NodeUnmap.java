package org.jblock.registry;

import java.util.Map;

import org.jblock.api.BlockImage;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.layer.UnmapPolicy;
import org.jblock.api.layer.UnmapPolicy.DetectZeroes;
import org.jblock.api.layer.UnmapPolicy.Discard;

/**
 * QEMU's {@code discard} and {@code detect-zeroes} options of a format node ({@code --image-opts
 * driver=raw,discard=ignore,...}, {@code json:{...}}), which every format takes whatever its driver.
 * Absent, they are what jblock's images do anyway and what qemu-io starts with: {@code discard=unmap}
 * and {@code detect-zeroes=off}. Anything else puts the opened image under {@link UnmapPolicy}.
 *
 * @param discard      {@code discard}
 * @param detectZeroes {@code detect-zeroes}
 */
record NodeUnmap(Discard discard, DetectZeroes detectZeroes) {
    static final String DISCARD = "discard";
    static final String DETECT_ZEROES = "detect-zeroes";

    /**
     * Takes the two keys out of {@code options}.
     *
     * @throws InvalidOptionException for a value QEMU does not know, or {@code detect-zeroes=unmap}
     *                                with {@code discard=ignore}, in QEMU's words
     */
    static NodeUnmap take(Map<String, String> options) throws InvalidOptionException {
        String discardValue = options.remove(DISCARD);
        String detectValue = options.remove(DETECT_ZEROES);
        Discard discard = discardValue == null ? Discard.UNMAP : Discard.parse(discardValue);
        if (discard == null) {
            throw new InvalidOptionException("Invalid discard option");
        }
        DetectZeroes detectZeroes = detectValue == null ? DetectZeroes.OFF : DetectZeroes.parse(detectValue);
        if (detectZeroes == null) {
            throw new InvalidOptionException("invalid parameter value: " + detectValue);
        }
        UnmapPolicy.check(discard, detectZeroes);
        return new NodeUnmap(discard, detectZeroes);
    }

    /** @return {@code image} under these options (itself when they ask for nothing it does not do) */
    BlockImage over(BlockImage image) throws InvalidOptionException {
        return UnmapPolicy.over(image, discard, detectZeroes);
    }
}
