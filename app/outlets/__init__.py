"""Media outlets and organisations (SPEC C2): newspapers, magazines, broadcasters, online
media, agencies, with their editorial departments."""
