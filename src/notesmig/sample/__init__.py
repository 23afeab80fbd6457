"""The bundled sample corpus: generated Notes applications of a Japanese city, as DXL."""
