namespace Witness.Cli;

/// <summary>A failure a command reports as one line on stderr and an exit code, without a stack trace.</summary>
internal sealed class CliException(string message, int exitCode = 2) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
