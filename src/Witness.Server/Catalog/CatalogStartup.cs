using Witness.Server.Demo;

namespace Witness.Server.Catalog;

/// <summary>The catalogs to load at start: presets (global or per tenant) then catalog files (global), in that order.</summary>
internal sealed record CatalogStartup(IReadOnlyList<PresetChoice> Presets, IReadOnlyList<string> Files)
{
    /// <summary>What the options ask for; with the demo on, <see cref="DemoData.Presets"/> for the demo tenant come first.</summary>
    public static CatalogStartup From(WitnessServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var presets = options.Demo ? DemoData.Presets.Select(p => new PresetChoice(p, DemoData.Tenant)).ToList() : [];
        presets.AddRange(options.Presets);
        return new CatalogStartup(presets, options.CatalogFiles);
    }
}
