using Witness.Catalog;
using Witness.Events;

namespace Witness.Server.Catalog;

/// <summary>
/// A preset to load at start: into the global layer (<see cref="Tenant"/> null) or one tenant's
/// layer. Written <c>NAME</c> or <c>NAME:TENANT</c> on the command line.
/// </summary>
public sealed record PresetChoice(string Name, string? Tenant)
{
    /// <summary>Reads <c>NAME</c> or <c>NAME:TENANT</c>; false with a message naming the problem when the preset or tenant does not exist as written.</summary>
    public static bool TryParse(string text, out PresetChoice? choice, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        choice = null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? text : text[..colon];
        var tenant = colon < 0 ? null : text[(colon + 1)..];
        if (!CatalogFile.PresetNames.Contains(name, StringComparer.Ordinal))
        {
            error = $"there is no preset '{name}'; the presets are {string.Join(", ", CatalogFile.PresetNames)}";
            return false;
        }

        if (tenant is not null && !EventParser.IsValidTenant(tenant))
        {
            error = $"'{tenant}' is not a tenant: 1–64 characters of A-Z a-z 0-9 . _ -";
            return false;
        }

        choice = new PresetChoice(name, tenant);
        error = null;
        return true;
    }

    public override string ToString() => Tenant is null ? Name : $"{Name}:{Tenant}";
}
