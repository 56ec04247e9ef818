using Microsoft.AspNetCore.Components;

namespace Witness.Server.Console;

/// <summary>
/// The <see cref="Icons"/> as Razor fragments: the only markup a component writes unencoded, and
/// only these fixed strings, never data.
/// </summary>
internal static class Icon
{
    private static readonly Dictionary<string, RenderFragment> Fragments = new(StringComparer.Ordinal);

    public static readonly RenderFragment Logo = Fixed(Icons.Logo);
    public static readonly RenderFragment Building = Fixed(Icons.Building);
    public static readonly RenderFragment Warning = Fixed(Icons.Warning);
    public static readonly RenderFragment Lock = Fixed(Icons.Lock);
    public static readonly RenderFragment Key = Fixed(Icons.Key);
    public static readonly RenderFragment Shield = Fixed(Icons.Shield);
    public static readonly RenderFragment External = Fixed(Icons.External);
    public static readonly RenderFragment Inbox = Fixed(Icons.Inbox);
    public static readonly RenderFragment Search = Fixed(Icons.Search);
    public static readonly RenderFragment Download = Fixed(Icons.Download);
    public static readonly RenderFragment ChevronDown = Fixed(Icons.ChevronDown);
    public static readonly RenderFragment ChevronRight = Fixed(Icons.ChevronRight);
    public static readonly RenderFragment ChevronLeft = Fixed(Icons.ChevronLeft);
    public static readonly RenderFragment Close = Fixed(Icons.Close);
    public static readonly RenderFragment Gear = Fixed(Icons.Gear);

    /// <summary>The fragment of one of the <see cref="Icons"/> constants; anything else throws.</summary>
    public static RenderFragment Of(string icon) =>
        Fragments.TryGetValue(icon, out var fragment) ? fragment : throw new ArgumentException("not one of the console's icons", nameof(icon));

    private static RenderFragment Fixed(string markup)
    {
        RenderFragment fragment = builder => builder.AddMarkupContent(0, markup);
        Fragments[markup] = fragment;
        return fragment;
    }
}
