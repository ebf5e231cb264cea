package org.jblock.shell.img;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Locale;

import org.jblock.api.BlockImage;
import org.jblock.api.CheckMode;
import org.jblock.api.CheckReport;
import org.jblock.api.CheckReport.Severity;
import org.jblock.api.InvalidOptionException;
import org.jblock.api.UnsupportedFeatureException;
import org.jblock.registry.CacheMode;
import org.jblock.registry.ChainMode;


import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code check [-f fmt] [-r leaks|all [--dry-run]] [--output=human|json] [-T src_cache] [-q] filename}, with qemu-img's exit
 * codes: 0 clean, 1 the check could not run, 2 corruptions left, 3 only leaks left, 63 the format has
 * no checks.
 *
 * <p>A driver that has an open option named {@code check} (vpc does) gets it turned on: it then
 * opens even an image it would refuse as corrupt, so that the check can report and repair it.
 *
 * <p>With {@code -r} the repair plan is printed: each write the repair made, and what it left alone
 * and why. {@code --dry-run} (jblock's addition; qemu-img has no repair plan) prints the plan of
 * {@code -r} without writing: the image is opened read-only.
 */
@Command(name = "check", description = "Checks an image for corruptions and leaks, and repairs them with -r.")
final class CheckCommand extends ImgCommand {
    static final int CLEAN = 0;
    static final int FAILED = 1;
    static final int CORRUPTIONS = 2;
    static final int LEAKS = 3;
    static final int NOT_SUPPORTED = 63;
    /** The open option by which a driver opens a damaged image for check and repair. */
    static final String CHECK_OPTION = "check";

    @Mixin
    ImageOptions options = new ImageOptions();

    @Option(names = "-r", paramLabel = "leaks|all", converter = RepairConverter.class,
            description = "Repair leaks only, or everything that can be repaired.")
    CheckMode repair = CheckMode.REPORT;

    @Option(names = "--dry-run", description = "With -r: print the repair plan, write nothing.")
    boolean dryRun;

    @Option(names = "-q", description = "Quiet: print nothing, the exit code tells.")
    boolean quiet;

    @Option(names = "-T", paramLabel = "src_cache", defaultValue = "writeback",
            description = "Cache mode of the image (default writeback).")
    String sourceCache;

    @Parameters(paramLabel = "filename")
    String filename;

    @Override
    int errorExitCode() {
        return FAILED;
    }

    @Override
    public Integer call() throws IOException {
        CheckMode mode = dryRun ? dryRunOf(repair) : repair;
        CacheMode cache = sourceCacheMode(sourceCache);
        try (BlockImage image = open(filename, options.format, !mode.repairs(), options.forceShare,
                switchIfSupported(filename, options.format, CHECK_OPTION), ChainMode.READ_ONLY_BACKING, cache)) {
            CheckReport report;
            try (Progress progress = progress(!quiet && !options.json())) {
                report = image.check(mode, progress.listener());
            } catch (UnsupportedFeatureException e) {
                err().println(JblockImg.TOOL + ": This image format does not support checks");
                return NOT_SUPPORTED;
            }
            List<String> plan = report.repairPlan();
            CheckReport repairedReport = null;
            if (mode.repairs() && hasRepairs(report)) {
                repairedReport = report;
                report = image.check(CheckMode.REPORT);
            }
            if (!quiet) {
                if (options.json()) {
                    Map<String, Object> json = toJson(image.info().format(), report, repairedReport);
                    if (mode.plans()) {
                        json.put("repair-plan", plan);
                    }
                    Json.print(out(), json);
                } else {
                    printHuman(out(), report, repairedReport);
                    printPlan(out(), mode, plan);
                }
            }
            return exitCode(report);
        }
    }

    private CheckMode dryRunOf(CheckMode mode) throws InvalidOptionException {
        switch (mode) {
            case REPAIR_LEAKS:
                return CheckMode.DRY_RUN_LEAKS;
            case REPAIR_ALL:
                return CheckMode.DRY_RUN_ALL;
            default:
                throw new InvalidOptionException("--dry-run needs -r leaks or -r all: it shows what that repair would"
                        + " write");
        }
    }

    /**
     * The writes the repair made (or, in a dry run, would make), and what it left alone and why;
     * after qemu-img's lines, so that what qemu-img prints stays first.
     */
    private static void printPlan(PrintWriter out, CheckMode mode, List<String> plan) {
        if (!mode.plans() || (plan.isEmpty() && mode.repairs())) {
            return;
        }
        out.println();
        if (plan.isEmpty()) {
            out.println("Repair plan (dry run): nothing to write.");
        } else {
            out.println(mode.repairs() ? "Repair plan:" : "Repair plan (dry run: nothing was written):");
            for (String line : plan) {
                out.println("    " + line);
            }
        }
        out.flush();
    }

    private static boolean hasRepairs(CheckReport report) {
        return report.findings().stream().anyMatch(CheckReport.Finding::repaired);
    }

    static int exitCode(CheckReport report) {
        if (report.count(Severity.CORRUPTION) > 0) {
            return CORRUPTIONS;
        }
        return report.count(Severity.LEAK) > 0 ? LEAKS : CLEAN;
    }

    private Map<String, Object> toJson(String imageFormat, CheckReport report, CheckReport repaired) {
        Map<String, Object> json = Json.object();
        json.put("filename", filename);
        json.put("format", imageFormat);
        json.put("check-errors", 0);
        json.put("corruptions", report.count(Severity.CORRUPTION));
        json.put("leaks", report.count(Severity.LEAK));
        json.put("corruptions-fixed", repaired == null ? 0 : repaired.repaired(Severity.CORRUPTION));
        json.put("leaks-fixed", repaired == null ? 0 : repaired.repaired(Severity.LEAK));
        if (report.imageEndOffset() >= 0) {
            json.put("image-end-offset", report.imageEndOffset());
        }
        if (report.totalClusters() > 0) {
            json.put("total-clusters", report.totalClusters());
            json.put("allocated-clusters", report.allocatedClusters());
            json.put("fragmented-clusters", report.fragmentedClusters());
            json.put("compressed-clusters", 0);
        }
        return json;
    }

    private static void printHuman(PrintWriter out, CheckReport report, CheckReport repaired) {
        if (repaired != null) {
            out.println("The following inconsistencies were found and repaired:");
            out.println();
            out.println("    " + repaired.repaired(Severity.LEAK) + " leaked clusters");
            out.println("    " + repaired.repaired(Severity.CORRUPTION) + " corruptions");
            out.println();
            out.println("Double checking the fixed image now...");
        }
        for (CheckReport.Finding finding : report.findings()) {
            if (!finding.repaired()) {
                out.println(label(finding.severity()) + finding.message()
                        + (finding.offset() >= 0 ? " (at offset " + finding.offset() + ")" : ""));
            }
        }
        long corruptions = report.count(Severity.CORRUPTION);
        long leaks = report.count(Severity.LEAK);
        if (corruptions == 0 && leaks == 0) {
            out.println("No errors were found on the image.");
        }
        if (corruptions > 0) {
            out.println();
            out.println(corruptions + " errors were found on the image.");
            out.println("Data may be corrupted, or further writes to the image may corrupt it.");
        }
        if (leaks > 0) {
            out.println();
            out.println(leaks + " leaked clusters were found on the image.");
            out.println("This means waste of disk space, but no harm to data.");
        }
        if (report.totalClusters() > 0) {
            out.println(String.format(Locale.ROOT, "%d/%d = %.2f%% allocated, %.2f%% fragmented, %.2f%% compressed clusters",
                    report.allocatedClusters(), report.totalClusters(),
                    100.0 * report.allocatedClusters() / report.totalClusters(),
                    report.allocatedClusters() == 0 ? 0.0 : 100.0 * report.fragmentedClusters() / report.allocatedClusters(),
                    0.0));
        }
        if (report.imageEndOffset() >= 0) {
            out.println("Image end offset: " + report.imageEndOffset());
        }
        out.flush();
    }

    private static String label(Severity severity) {
        switch (severity) {
            case CORRUPTION:
                return "ERROR ";
            case LEAK:
                return "Leaked ";
            default:
                return "Warning: ";
        }
    }

    /** {@code -r leaks|all}. */
    static final class RepairConverter implements ITypeConverter<CheckMode> {
        @Override
        public CheckMode convert(String value) {
            switch (value) {
                case "leaks":
                    return CheckMode.REPAIR_LEAKS;
                case "all":
                    return CheckMode.REPAIR_ALL;
                default:
                    throw new TypeConversionException("Unknown option value for -r (expecting 'leaks' or 'all'): " + value);
            }
        }
    }
}
