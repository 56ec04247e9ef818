using Witness.Export;
using Witness.Export.Pdf;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the PDF report writer, so that a host that includes this AGPL-bound assembly offers <c>format=pdf</c>.</summary>
public static class PdfServiceCollectionExtensions
{
    /// <summary>Adds <see cref="PdfExportWriter"/> as an <see cref="IExportWriter"/>; an exporter offers the writers in the order they were added.</summary>
    public static IServiceCollection AddWitnessPdfExport(this IServiceCollection services)
    {
        services.AddSingleton<IExportWriter, PdfExportWriter>();
        return services;
    }
}
