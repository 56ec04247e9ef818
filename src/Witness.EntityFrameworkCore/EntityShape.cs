using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Update;

namespace Witness.EntityFrameworkCore;

/// <summary>
/// What writing the events of one entity type of one model needs, worked out once instead of for every entity of every
/// save: its properties in the order EF Core lists them, each with its JSON name, whether it is sensitive and a reader
/// typed to the property (no boxing, no <see cref="PropertyEntry"/>); its key; its action names and target type encoded.
/// Built per <see cref="IEntityType"/>, not per CLR type: two models that map the same class differently (another
/// context, a property ignored or added as shadow) each get their own. Immutable once built, so any thread may use it.
/// </summary>
internal sealed class EntityShape
{
    public EntityShape(IEntityType entityType, EntityAuditMap map)
    {
        Map = map;
        Properties = [.. entityType.GetProperties().Select(p => PropertyShape.Create(p, map.Sensitive.Contains(p.Name)))];
        Key = entityType.FindPrimaryKey() is { } key ? [.. key.Properties.Select(p => Properties.First(s => s.Property == p))] : [];
        TargetType = JsonEncodedText.Encode(map.Prefix);
        CreateAction = JsonEncodedText.Encode(map.CreateAction);
        UpdateAction = JsonEncodedText.Encode(map.UpdateAction);
        DeleteAction = JsonEncodedText.Encode(map.DeleteAction);
    }

    public EntityAuditMap Map { get; }

    public PropertyShape[] Properties { get; }

    /// <summary>The primary key's properties; empty for a keyless type.</summary>
    public PropertyShape[] Key { get; }

    public JsonEncodedText TargetType { get; }

    public JsonEncodedText CreateAction { get; }

    public JsonEncodedText UpdateAction { get; }

    public JsonEncodedText DeleteAction { get; }

    /// <summary>
    /// The entry as EF Core's update pipeline sees it, whose typed getters read a value without boxing it and without a
    /// <see cref="PropertyEntry"/> per property. <see cref="IUpdateEntry"/> is public; only the way to it from an
    /// <see cref="EntityEntry"/> goes through EF Core's internal entry type.
    /// </summary>
#pragma warning disable EF1001 // EntityEntry exposes its InternalEntityEntry only as IInfrastructure; it is used here as the public IUpdateEntry.
    public static IUpdateEntry UpdateEntry(EntityEntry entry) => entry.GetInfrastructure();
#pragma warning restore EF1001

    /// <summary>Writes the target's <c>id</c> (the key as text, key parts joined by commas), or nothing when there is no key or it is null.</summary>
    public void WriteId(Utf8JsonWriter writer, JsonEncodedText name, IUpdateEntry entry)
    {
        switch (Key.Length)
        {
            case 0:
                return;
            case 1:
                Key[0].WriteKey(writer, name, entry);
                return;
            default:
                writer.WriteString(name, string.Join(",", Key.Select(k => PropertyShape.Text(entry.GetCurrentValue(k.Property)))));
                return;
        }
    }
}

/// <summary>One property of an <see cref="EntityShape"/>; <see cref="PropertyShape{T}"/> reads it typed.</summary>
internal abstract class PropertyShape(IProperty property, bool sensitive)
{
    private const string Redacted = "[redacted]";

    public IProperty Property { get; } = property;

    public JsonEncodedText Name { get; } = JsonEncodedText.Encode(JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name));

    public bool Sensitive { get; } = sensitive;

    public static PropertyShape Create(IProperty property, bool sensitive) =>
        (PropertyShape)Activator.CreateInstance(typeof(PropertyShape<>).MakeGenericType(property.ClrType), property, sensitive)!;

    /// <summary>True when the original and current values differ (<see cref="object.Equals(object?, object?)"/>, as before).</summary>
    public abstract bool Differs(IUpdateEntry entry);

    /// <summary>Writes <c>"name": value</c>, the value <c>[redacted]</c> for a sensitive property.</summary>
    public void Write(Utf8JsonWriter writer, IUpdateEntry entry, bool original)
    {
        writer.WritePropertyName(Name);
        if (Sensitive)
        {
            writer.WriteStringValue(Redacted);
        }
        else
        {
            WriteValue(writer, entry, original);
        }
    }

    protected abstract void WriteValue(Utf8JsonWriter writer, IUpdateEntry entry, bool original);

    /// <summary>Writes <c>"name": "the current value as text"</c>, or nothing for null.</summary>
    public abstract void WriteKey(Utf8JsonWriter writer, JsonEncodedText name, IUpdateEntry entry);

    /// <summary>A value of any other type, boxed: the same JSON as for the types read typed.</summary>
    public static void WriteObject(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string v: writer.WriteStringValue(v); break;
            case bool v: writer.WriteBooleanValue(v); break;
            case int v: writer.WriteNumberValue(v); break;
            case long v: writer.WriteNumberValue(v); break;
            case short v: writer.WriteNumberValue(v); break;
            case byte v: writer.WriteNumberValue(v); break;
            case decimal v: writer.WriteNumberValue(v); break;
            case double v: writer.WriteNumberValue(v); break;
            case float v: writer.WriteNumberValue(v); break;
            case var v: writer.WriteStringValue(Text(v)); break;
        }
    }

    public static string? Text(object? value) => value switch
    {
        null => null,
        DateTimeOffset d => d.ToString("O", CultureInfo.InvariantCulture),
        DateTime d => d.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}

internal sealed class PropertyShape<T>(IProperty property, bool sensitive) : PropertyShape(property, sensitive)
{
    public override bool Differs(IUpdateEntry entry) =>
        !EqualityComparer<T>.Default.Equals(entry.GetOriginalValue<T>(Property), entry.GetCurrentValue<T>(Property));

    protected override void WriteValue(Utf8JsonWriter writer, IUpdateEntry entry, bool original)
    {
        var value = original ? entry.GetOriginalValue<T>(Property) : entry.GetCurrentValue<T>(Property);
        // Each test on typeof(T) is decided when the method is compiled for T; the common types are written unboxed.
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else if (typeof(T) == typeof(string))
        {
            writer.WriteStringValue(Unsafe.As<T, string>(ref value));
        }
        else if (typeof(T) == typeof(int))
        {
            writer.WriteNumberValue(Unsafe.As<T, int>(ref value));
        }
        else if (typeof(T) == typeof(long))
        {
            writer.WriteNumberValue(Unsafe.As<T, long>(ref value));
        }
        else if (typeof(T) == typeof(bool))
        {
            writer.WriteBooleanValue(Unsafe.As<T, bool>(ref value));
        }
        else
        {
            WriteObject(writer, value);
        }
    }

    public override void WriteKey(Utf8JsonWriter writer, JsonEncodedText name, IUpdateEntry entry)
    {
        var value = entry.GetCurrentValue<T>(Property);
        Span<byte> text = stackalloc byte[40];
        int written;
        if (value is null)
        {
            return;
        }
        else if (typeof(T) == typeof(string))
        {
            writer.WriteString(name, Unsafe.As<T, string>(ref value));
        }
        else if (typeof(T) == typeof(int) && Unsafe.As<T, int>(ref value).TryFormat(text, out written, default, CultureInfo.InvariantCulture))
        {
            writer.WriteString(name, text[..written]);
        }
        else if (typeof(T) == typeof(long) && Unsafe.As<T, long>(ref value).TryFormat(text, out written, default, CultureInfo.InvariantCulture))
        {
            writer.WriteString(name, text[..written]);
        }
        else if (typeof(T) == typeof(Guid) && Unsafe.As<T, Guid>(ref value).TryFormat(text, out written))
        {
            writer.WriteString(name, text[..written]);
        }
        else if (Text(value) is { } other)
        {
            writer.WriteString(name, other);
        }
    }
}
