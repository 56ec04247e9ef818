namespace Witness.Server.Console;

/// <summary>The part of the console a page belongs to, marked as current in the top bar.</summary>
public enum ConsoleSection
{
    AuditLogs,
    Settings,
}
