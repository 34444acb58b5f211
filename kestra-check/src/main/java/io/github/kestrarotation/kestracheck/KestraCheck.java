package io.github.kestrarotation.kestracheck;

import io.kestra.core.models.flows.Flow;
import io.kestra.core.models.validations.ModelValidator;
import io.kestra.core.serializers.YamlParser;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses and validates flow files with Kestra's own code, as {@code kestra flow validate --local}
 * does: {@link YamlParser} (strict Jackson YAML: unknown properties, duplicate keys and unknown
 * types are errors, plugin types resolved through Kestra's plugin registry) then Kestra's
 * {@link ModelValidator} (the Jakarta constraints and Kestra's flow validators: ids, cron,
 * time zones, input defaults, task id uniqueness...), inside Kestra's Micronaut context.
 *
 * <p>Usage: {@code KestraCheck [--label TEXT] FILE... [--expect-fail FILE...]}: the files before
 * {@code --expect-fail} must pass, the files after it must be refused. Prints one line per file
 * and exits 1 if any file did otherwise.
 */
public final class KestraCheck {
    private KestraCheck() {
    }

    public static void main(String[] args) {
        String label = "kestra";
        List<Path> good = new ArrayList<>();
        List<Path> invalid = new ArrayList<>();
        List<Path> files = good;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--label" -> label = args[++i];
                case "--expect-fail" -> files = invalid;
                default -> files.add(Path.of(args[i]));
            }
        }
        int bad = 0;
        try (ApplicationContext ctx = ApplicationContext.run()) {
            ModelValidator validator = ctx.getBean(ModelValidator.class);
            for (Path p : good) {
                String err = check(validator, p);
                bad += err == null ? 0 : 1;
                System.out.println((err == null ? "OK   " : "FAIL ") + label + " " + p + (err == null ? "" : ": " + err));
            }
            int caught = 0;
            for (Path p : invalid) {
                if (check(validator, p) == null) {
                    bad++;
                    System.out.println("FAIL " + label + " " + p + ": parsed and validated, but it is a known-bad flow");
                } else {
                    caught++;
                }
            }
            if (!invalid.isEmpty()) {
                System.out.println("OK   " + label + " refused " + caught + " of " + invalid.size() + " known-bad flows");
            }
        } catch (RuntimeException e) {
            System.out.println("ERROR " + label + ": cannot start Kestra: " + oneLine(e));
            bad++;
        }
        System.out.flush();
        // halt: Kestra's context leaves non-daemon threads (JFR streaming) behind.
        Runtime.getRuntime().halt(bad == 0 ? 0 : 1);
    }

    /** Returns null if the flow parses and validates, else the error on one line. */
    static String check(ModelValidator validator, Path p) {
        try {
            Flow flow = YamlParser.parse(Files.readString(p), Flow.class);
            validator.validate(flow);
            return null;
        } catch (Exception e) {
            if (System.getenv("KESTRA_CHECK_TRACE") != null) {
                e.printStackTrace();
            }
            return oneLine(e);
        }
    }

    static String oneLine(Exception e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        m = m.replaceAll("\\s+", " ").trim();
        // Jackson lists every known property of the class; keep the first few.
        m = m.replaceAll("(\\(\\d+ known properties: (\"[^\"]*\", ){6})[^)]*\\)", "$1...)");
        return m.length() > 600 ? m.substring(0, 600) + "..." : m;
    }
}
