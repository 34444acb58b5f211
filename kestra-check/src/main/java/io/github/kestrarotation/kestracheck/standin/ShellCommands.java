package io.github.kestrarotation.kestracheck.standin;

import io.kestra.core.models.annotations.Plugin;
import io.kestra.core.models.property.Property;
import io.kestra.core.models.tasks.RunnableTask;
import io.kestra.core.models.tasks.runners.TargetOS;
import io.kestra.core.runners.RunContext;
import io.kestra.plugin.scripts.exec.AbstractExecScript;
import io.kestra.plugin.scripts.exec.scripts.models.DockerOptions;
import io.kestra.plugin.scripts.exec.scripts.models.ScriptOutput;
import jakarta.validation.constraints.NotNull;
import java.util.List;

/**
 * io.kestra.plugin.scripts.shell.Commands of plugin-scripts v1.9.8: AbstractExecScript (Kestra's
 * io.kestra:script, the real class) plus {@code containerImage} (default ubuntu) and
 * {@code commands}. Runs like upstream: the commands, after the before-commands and
 * {@code set -e}, through the task runner.
 */
@Plugin(aliases = "io.kestra.plugin.scripts.shell.Commands")
public class ShellCommands extends AbstractExecScript implements RunnableTask<ScriptOutput> {
    private Property<String> containerImage = Property.ofValue("ubuntu");

    @NotNull
    private Property<List<String>> commands;

    public ShellCommands() {
    }

    @Override
    public Property<String> getContainerImage() {
        return containerImage;
    }

    public Property<List<String>> getCommands() {
        return commands;
    }

    @Override
    protected DockerOptions injectDefaults(RunContext runContext, DockerOptions original) throws io.kestra.core.exceptions.IllegalVariableEvaluationException {
        if (original.getImage() != null) {
            return original;
        }
        return original.toBuilder().image(runContext.render(containerImage).as(String.class).orElse(null)).build();
    }

    @Override
    public ScriptOutput run(RunContext runContext) throws Exception {
        TargetOS os = runContext.render(targetOS).as(TargetOS.class).orElse(null);
        return commands(runContext)
            .withInterpreter(interpreter)
            .withBeforeCommands(beforeCommands)
            .withBeforeCommandsWithOptions(true)
            .withCommands(commands)
            .withTargetOS(os)
            .run();
    }
}
