using Microsoft.AspNetCore.Antiforgery;
using Witness.Access;

namespace Witness.Server.Console;

/// <summary>
/// What the top bar of a signed-in console page shows (drawn by <see cref="Components.TopBar"/>): the
/// tenant (a switcher for a platform administrator), who is signed in, the section open, and the
/// anti-forgery tokens of the sign-out form. The viewer has no top bar.
/// </summary>
public sealed record ConsoleChrome(ConsoleUser User, IReadOnlyList<string> Tenants, string? Tenant, AntiforgeryTokenSet Antiforgery)
{
    public ConsoleSection Section { get; init; } = ConsoleSection.AuditLogs;
}
