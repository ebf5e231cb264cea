package org.jblock.tests.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import org.jblock.api.BlockFile;
import org.jblock.api.MemoryBlockFile;
import org.jblock.api.spi.support.DelegatingBlockFile;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each check of the read-only kit catches the bug it is there for: the kit runs, through the JUnit
 * launcher, against a read-only memory file with one bug planted, and the matching check fails
 * (others may too); the same kit passes on the file without a bug. (The nested classes are not {@code *Test} classes, so
 * the build does not run them on their own.)
 */
class ReadOnlyBlockFileContractCatchesBrokenFilesTest {

    static Stream<Arguments> plantedBugs() {
        return Stream.of(
                Arguments.of(ShiftsReadsByOneByte.class, "reads_anywhere_equal_the_content_and_past_the_end_is_end_of_file"),
                Arguments.of(AcceptsWrites.class, "every_change_is_refused_as_read_only_and_changes_nothing"),
                Arguments.of(ReportsHolesInData.class, "hole_reports_never_call_data_a_hole"),
                Arguments.of(ReadsAfterClose.class, "use_after_close_fails_with_image_closed_and_closing_twice_is_harmless"),
                Arguments.of(Correct.class, null));
    }

    @ParameterizedTest(name = "{0} fails {1}")
    @MethodSource("plantedBugs")
    void the_kit_catches_a_planted_bug_and_passes_a_correct_file(Class<?> contract, String check) {
        List<String> failed = BlockDriverContractCatchesBrokenDriversTest.OnlyInsideThisTest.failedChecks(contract);
        if (check == null) {
            assertEquals(List.of(), failed, "the kit fails a correct read-only file");
        } else {
            assertTrue(failed.contains(check), () -> check + " let " + contract.getSimpleName() + " pass; failed: " + failed);
        }
    }

    // Planted contracts run only when a test launches them, as the driver kit's do.
    @ExtendWith(BlockDriverContractCatchesBrokenDriversTest.OnlyInsideThisTest.class)
    abstract static class Planted extends ReadOnlyBlockFileContract {
        private final Function<BlockFile, BlockFile> bug;

        Planted(Function<BlockFile, BlockFile> bug) {
            this.bug = bug;
        }

        @Override
        protected BlockFile openReadOnly(byte[] content) throws IOException {
            return bug.apply(MemoryBlockFile.of("planted", content).reopen(true));
        }
    }

    static final class Correct extends Planted {
        Correct() {
            super(Function.identity());
        }
    }

    static final class ShiftsReadsByOneByte extends Planted {
        ShiftsReadsByOneByte() {
            super(file -> new DelegatingBlockFile(file) {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    return super.read(dst, position > 0 ? position + 1 : position);
                }
            });
        }
    }

    static final class AcceptsWrites extends Planted {
        AcceptsWrites() {
            super(file -> new DelegatingBlockFile(file) {
                @Override
                public void write(ByteBuffer src, long position) {
                    src.position(src.limit());
                }
            });
        }
    }

    static final class ReportsHolesInData extends Planted {
        ReportsHolesInData() {
            super(file -> new DelegatingBlockFile(file) {
                @Override
                public long seekHole(long position) {
                    return position;
                }
            });
        }
    }

    static final class ReadsAfterClose extends Planted {
        ReadsAfterClose() {
            super(file -> new DelegatingBlockFile(file) {
                @Override
                public void close() {
                }
            });
        }
    }
}
